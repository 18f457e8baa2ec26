/* audio_analysis.h — per-hop audio measurements from mono float samples at CF_AUDIO_RATE:
 * K-weighted energy (EBU R128 pre-filter), spectral flatness, spectral flux and onsets,
 * speech-band and high-band energy ratios, zero-crossing rate, mel bands, frame energies and
 * harmonicity (the audio-event classifier's raw inputs), and the pitch of voiced frames. Internal to
 * cfhighlight. */
#ifndef CF_AUDIO_ANALYSIS_H
#define CF_AUDIO_ANALYSIS_H

#include <stddef.h>

#include "clipforge/error.h"

#define CF_AUDIO_RATE 16000
#define CF_AUDIO_HOP (CF_AUDIO_RATE / 10) /* samples per 100 ms hop */

#define CF_AUDIO_BANDS 16 /* mel bands 60-7800 Hz of the event classifier's inputs */
#define CF_AUDIO_FRAMES 4 /* spectral frames per hop (every 25 ms) */

/* Raw measurements of one 100 ms hop. */
typedef struct audio_hop {
    double kpower;                   /* mean square of the K-weighted signal */
    float flatness;                  /* mean over the hop's frames, 0..1 */
    float flux;                      /* mean positive log-spectral change, dB */
    float speech_ratio;              /* energy 300-3400 Hz / energy 60-8000 Hz */
    float high_ratio;                /* energy above 3400 Hz / energy 60-8000 Hz */
    float zcr;                       /* zero crossings per sample */
    int onsets;                      /* spectral onsets in the hop */
    float band_db[CF_AUDIO_BANDS];   /* mel band energies, dB, mean power over the frames */
    float frame_db[CF_AUDIO_FRAMES]; /* energy 60-8000 Hz of each frame, dB (modulation) */
    float harmonicity;               /* mean over frames of the normalised autocorrelation peak, 80-400 Hz */
    float pitch_hz;                  /* voice pitch: geometric mean over the voiced frames, 0 = none voiced */
    float frame_pitch_hz[CF_AUDIO_FRAMES]; /* each frame's pitch, 0 = not voiced */
    float persistence;      /* fine spectral structure kept from 25 ms before, mean correlation */
    float persistence_long; /* the same from 100 ms before */
} audio_hop;

typedef struct audio_analyzer audio_analyzer;

/* on_hop is called once per completed hop, in order. */
typedef void (*audio_hop_fn)(void *user, const audio_hop *hop);

cf_err hl_audio_analyzer_new(audio_hop_fn on_hop, void *user, audio_analyzer **out, cf_error *err);
/* Feeds n mono samples; calls on_hop for every hop completed. */
void hl_audio_analyzer_push(audio_analyzer *a, const float *samples, size_t n);
/* Completes a partial last hop (zero-padded) if any samples are pending. */
void hl_audio_analyzer_flush(audio_analyzer *a);
void hl_audio_analyzer_free(audio_analyzer *a);

/* Loudness in LUFS of a mean square of K-weighted samples (mono). */
double cf_lufs_from_power(double kpower);

#endif
