/*
 * test/bench/chase.c -- what one dependent random read of memory costs on
 * this machine: a pointer chase through a random cycle of 64-byte lines in
 * an array of the given size (MB), as a random-key hit reads a sentinel
 * and then an entry (README.md, Performance).  Not part of any test.
 *
 *	gcc -O2 -o /tmp/chase test/bench/chase.c && /tmp/chase 16 && /tmp/chase 128
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int
main(int argc, char **argv)
{
	size_t		bytes = (argc > 1 ? strtoull(argv[1], NULL, 10) : 128) << 20;
	size_t		n = bytes / 64;
	size_t		steps = 5000000;
	char	   *mem = aligned_alloc(4096, bytes);
	size_t	   *perm = malloc(n * sizeof(size_t));
	char	   *p;
	double		t0;
	size_t		i;

	if (mem == NULL || perm == NULL || n < 2)
		return 1;
	for (i = 0; i < n; i++)
		perm[i] = i;
	srand(1);
	for (i = n - 1; i > 0; i--)
	{
		size_t		j = ((size_t) rand() * RAND_MAX + rand()) % (i + 1);
		size_t		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < n; i++)
		*(char **) (mem + perm[i] * 64) = mem + perm[(i + 1) % n] * 64;
	p = mem + perm[0] * 64;
	t0 = now_ns();
	for (i = 0; i < steps; i++)
		p = *(char **) p;
	printf("%zu MB: %.1f ns per dependent random read (%p)\n",
		   bytes >> 20, (now_ns() - t0) / steps, (void *) p);
	return 0;
}
