/* bandwidth.h — narrowband speech (telephone, 8 kHz recordings) inside 16 kHz audio. */
#ifndef CLIPFORGE_STT_BANDWIDTH_H
#define CLIPFORGE_STT_BANDWIDTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Energy above about 5 kHz relative to the whole, in dB (-100 for silence); pcm at 16 kHz. */
double cf__stt_high_band_db(const int16_t *pcm, size_t n);
/* True when pcm (16 kHz) carries nothing above about 4 kHz: speech recorded at 8 kHz. */
bool cf__stt_is_narrowband(const int16_t *pcm, size_t n);
/* Adds the mirror image of 0-4 kHz into the empty 4-8 kHz band, gain_db below the original
 * (what zero-insertion upsampling leaves there): x[i] + g * (-1)^i * x[i]. */
void cf__stt_fold_high_band(int16_t *pcm, size_t n, double gain_db);

#endif
