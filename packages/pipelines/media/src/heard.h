/* heard.h — internal to libcfmedia: the default audio stream of a file with several, when the
 * one FFmpeg ranks first is silent (heard.c says why). */
#ifndef CFMEDIA_HEARD_H
#define CFMEDIA_HEARD_H

#include <libavformat/avformat.h>

/* chosen, unless sampled windows of it hold no sound while one of others (in the order given) has
 * some: then that one. again: a second opening of fmt's file, read (and left) at any place; the
 * streams' decoders come from fmt. An error while sampling keeps chosen. */
int cfmedia_heard_audio(AVFormatContext *again, const AVFormatContext *fmt, int chosen, const int *others,
                        int n_others);

#endif
