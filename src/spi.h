/*-------------------------------------------------------------------------
 *
 * spi.h
 *	  The pinned SPI of atomiccache's own statements (spi.c).
 *
 * IDENTIFICATION
 *	  src/spi.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AC_SPI_H
#define AC_SPI_H

extern int	ac_spi_begin(void);
extern void ac_spi_end(int guc_level);

#endif							/* AC_SPI_H */
