/* sound_meter.h — a render's sound measured (EBU R128 loudness and true peak, by ebur128), as
 * it is or as it will ship: encoded with an output's audio encoder and decoded again, since the
 * encoder puts back peak a limiter took off (FFmpeg's AAC up to several dB). */
#ifndef CF_SOUND_METER_H
#define CF_SOUND_METER_H

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>

#include "clipforge/domain/types.h"
#include "clipforge/error.h"

typedef struct sound_meter {
    AVCodecContext *enc, *dec; /* NULL: the sound is measured as given */
    AVPacket *pkt;
    AVFrame *decoded, *measured;
    int64_t next_pts;
    int skip;         /* decoded samples still to drop: the encoder's delay */
    AVFilterGraph *g; /* ebur128, made for the first frame it measures */
    AVFilterContext *src, *sink;
    double lufs, peak_db; /* the figures so far; the whole sound's after the end is added */
} sound_meter;

/* Opens a meter; with encode, the sound goes through the audio encoder of format first (its
 * frames: 48 kHz stereo in the encoder's sample format, of its frame size). */
cf_err cf_sound_meter_open(sound_meter *m, bool encode, cf_target_format format, int threads, cf_error *err);
/* The frame size the encoder takes (frames of exactly that many samples but the last), 0: any. */
int cf_sound_meter_frame_size(const sound_meter *m);
/* Measures f (NULL: the end of the sound, after which lufs and peak_db are the whole sound's). */
cf_err cf_sound_meter_add(sound_meter *m, AVFrame *f, cf_error *err);
void cf_sound_meter_close(sound_meter *m);

#endif
