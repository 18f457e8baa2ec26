/* subtitles.c — a media file's own text subtitle stream as caption cues (subtitles.h). The file
 * is opened by the media layer (its limits and access rules), only the subtitle stream's packets
 * are demuxed, and FFmpeg's subtitle decoders turn every text format into ASS events, whose text
 * is made plain here. */
#include "clipforge/subtitles.h"

#include <ctype.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/caption_parse.h"
#include "clipforge/log.h"
#include "clipforge/media.h"

#define MAX_CUES 200000     /* an hour of subtitles holds about 1,000 */
#define UNTIMED_CUE_MS 2000 /* how long a subtitle that states no end shows (players' default) */

static bool text_subtitles(const AVStream *st) {
    const AVCodecDescriptor *d = avcodec_descriptor_get(st->codecpar->codec_id);
    return st->codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE && d && (d->props & AV_CODEC_PROP_TEXT_SUB);
}

/* ISO 639-2 codes of languages whose ISO 639-1 code differs in its first two letters (and the
 * bibliographic forms), for "en-us" to match "eng", "de" to match "ger". */
static const char *const alias[][3] = {{"de", "ger", "deu"}, {"fr", "fre", "fra"}, {"nl", "dut", "nld"},
                                       {"zh", "chi", "zho"}, {"cs", "cze", "ces"}, {"el", "gre", "ell"},
                                       {"fa", "per", "fas"}, {"ro", "rum", "ron"}, {"sk", "slo", "slk"}};

/* True when tag (ISO 639-1 or -2, any case) names the language of language ("en-us"); an untagged
 * stream ("" or "und") may be any. */
static bool same_language(const char *tag, const char *language) {
    if (!tag || !*tag || !strcasecmp(tag, "und")) return true;
    if (!language || strlen(language) < 2) return false;
    char two[3] = {(char)tolower((unsigned char)language[0]), (char)tolower((unsigned char)language[1]), 0};
    if (strlen(tag) == 2) return !strcasecmp(tag, two);
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(alias[i][0], two)) return !strcasecmp(tag, alias[i][1]) || !strcasecmp(tag, alias[i][2]);
    return strlen(tag) == 3 && !strncasecmp(tag, two, 2); /* "eng", "spa", "ita" */
}

/* "2 (subrip, eng)" of stream st, appended to list. */
static void describe(const AVStream *st, char *list, size_t cap) {
    const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%d (%s%s%s%s)", n ? ", " : "", st->index,
             avcodec_get_name(st->codecpar->codec_id), lang ? ", " : "", lang ? lang->value : "",
             text_subtitles(st) ? "" : ", pictures");
}

cf_err cf_subtitles_find(const char *path, const char *language, cf_subtitle_stream *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    out->index = -1;
    /* its header says which streams it has: every detection and autoclip run looks, so no more */
    AVFormatContext *fmt = cf_media_open_header(path);
    if (!fmt) { /* the media layer's words for why */
        cf_media_input in;
        cf_err e = cf_media_open(path, NULL, &in, err);
        if (!e) cf_media_close(&in);
        return e ? e : cf_error_set(err, CF_ERR_NOT_FOUND, "%s: its header cannot be read", path);
    }
    int best = -1;
    char others[256] = "";
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
        if (st->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE) continue;
        if (!text_subtitles(st) || !same_language(lang ? lang->value : NULL, language)) {
            describe(st, others, sizeof others);
            continue;
        }
        if (best < 0 || ((st->disposition & AV_DISPOSITION_DEFAULT) &&
                         !(fmt->streams[best]->disposition & AV_DISPOSITION_DEFAULT)))
            best = (int)i;
    }
    if (best >= 0) {
        const AVStream *st = fmt->streams[best];
        const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
        out->index = best;
        snprintf(out->codec, sizeof out->codec, "%s", avcodec_get_name(st->codecpar->codec_id));
        snprintf(out->language, sizeof out->language, "%s", lang ? lang->value : "");
    }
    avformat_close_input(&fmt);
    if (best >= 0) return CF_OK;
    return cf_error_set(err, CF_ERR_NOT_FOUND, "%s has no text subtitles in %s%s%s%s", path,
                        language ? language : "its language", others[0] ? " (its subtitle streams: " : "",
                        others, others[0] ? ")" : "");
}

size_t cf_subtitles_plain_text(const char *ass, char *out) {
    const char *t = ass; /* the Text field, after eight commas; a line without them is all text */
    int commas = 0;
    for (const char *p = ass; *p && commas < 8; p++)
        if (*p == ',' && ++commas == 8) t = p + 1;
    size_t n = 0;
    for (int depth = 0; *t; t++) {
        if (*t == '{') depth++;
        else if (*t == '}' && depth) depth--;
        else if (depth) continue;
        else if (t[0] == '\\' && (t[1] == 'N' || t[1] == 'n')) out[n++] = '\n', t++;
        else if (t[0] == '\\' && t[1] == 'h') out[n++] = ' ', t++;
        else if (*t != '\r') out[n++] = *t;
    }
    /* lines trimmed, empty ones dropped */
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && out[end] != '\n') end++;
        size_t a = i, b = end;
        while (a < b && isspace((unsigned char)out[a])) a++;
        while (b > a && isspace((unsigned char)out[b - 1])) b--;
        if (b > a) {
            if (w) out[w++] = '\n';
            memmove(out + w, out + a, b - a);
            w += b - a;
        }
        i = end + 1;
    }
    out[w] = '\0';
    return w;
}

/* Appends the cue of one decoded subtitle (its rectangles' text, lines joined) to out. */
static cf_err add_cue(const AVSubtitle *sub, int64_t start_ms, int64_t end_ms, cf_caption_track *out,
                      size_t *cap, cf_error *err) {
    size_t len = 0;
    for (unsigned i = 0; i < sub->num_rects; i++) {
        const AVSubtitleRect *r = sub->rects[i];
        const char *s = r->type == SUBTITLE_ASS ? r->ass : r->type == SUBTITLE_TEXT ? r->text : NULL;
        len += s ? strlen(s) + 1 : 0;
    }
    char *text = len ? malloc(len + 1) : NULL;
    if (!len) return CF_OK;
    if (!text) return cf_error_set(err, CF_ERR_NO_MEMORY, "subtitles: out of memory");
    size_t n = 0;
    for (unsigned i = 0; i < sub->num_rects; i++) {
        const AVSubtitleRect *r = sub->rects[i];
        const char *s = r->type == SUBTITLE_ASS ? r->ass : r->type == SUBTITLE_TEXT ? r->text : NULL;
        if (!s) continue;
        if (n) text[n++] = '\n';
        n += r->type == SUBTITLE_ASS ? cf_subtitles_plain_text(s, text + n)
                                     : (size_t)(stpcpy(text + n, s) - (text + n));
    }
    text[n] = '\0';
    if (end_ms <= start_ms) end_ms = start_ms + UNTIMED_CUE_MS;
    if (!n || out->n_cues >= MAX_CUES) return free(text), CF_OK;
    if (out->n_cues == *cap) {
        size_t grown = *cap ? *cap * 2 : 64;
        cf_caption_cue *c = realloc(out->cues, grown * sizeof *c);
        if (!c) return free(text), cf_error_set(err, CF_ERR_NO_MEMORY, "subtitles: out of memory");
        out->cues = c, *cap = grown;
    }
    out->cues[out->n_cues++] = (cf_caption_cue){start_ms, end_ms, text};
    return CF_OK;
}

static int by_start(const void *a, const void *b) {
    const cf_caption_cue *x = a, *y = b;
    return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* One packet's subtitle as a cue at media times: from the packet's time plus the event's own
 * display times, to its end (else the packet's duration). */
static cf_err decode_packet(const cf_media_input *in, AVCodecContext *dec, AVPacket *pkt,
                            cf_caption_track *out, size_t *cap, cf_error *err) {
    AVSubtitle sub;
    int got = 0;
    if (avcodec_decode_subtitle2(dec, &sub, &got, pkt) < 0 || !got) return CF_OK; /* a damaged one: skipped */
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    cf_err e = CF_OK;
    if (ts != AV_NOPTS_VALUE) {
        double at = cf_media_time(in, pkt->stream_index, ts);
        double dur =
            pkt->duration > 0 ? pkt->duration * av_q2d(in->fmt->streams[pkt->stream_index]->time_base) : 0;
        int64_t start = (int64_t)(at * 1000) + sub.start_display_time;
        int64_t end = sub.end_display_time > sub.start_display_time && sub.end_display_time != UINT32_MAX
                          ? (int64_t)(at * 1000) + sub.end_display_time
                          : (int64_t)((at + dur) * 1000);
        if (start < 0) start = 0;
        e = add_cue(&sub, start, end, out, cap, err);
    }
    avsubtitle_free(&sub);
    return e;
}

cf_err cf_subtitles_read(const char *path, const cf_subtitle_stream *s, cf_caption_track *out,
                         cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_media_input in;
    cf_err e = cf_media_open(path, NULL, &in, err);
    if (e) return e;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    if (s->index < 0 || s->index >= (int)in.fmt->nb_streams || !text_subtitles(in.fmt->streams[s->index]))
        e = cf_error_set(err, CF_ERR_NOT_FOUND, "%s: stream %d is no text subtitle stream", path, s->index);
    else if (!pkt) e = cf_error_set(err, CF_ERR_NO_MEMORY, "subtitles: out of memory");
    else e = cf_media_open_decoder(&in, s->index, NULL, &dec, err);
    for (unsigned i = 0; !e && i < in.fmt->nb_streams; i++)
        in.fmt->streams[i]->discard = (int)i == s->index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    size_t cap = 0;
    int ret = 0;
    while (!e && (ret = cf_media_read(&in, pkt)) >= 0) {
        if (pkt->stream_index == s->index) e = decode_packet(&in, dec, pkt, out, &cap, err);
        av_packet_unref(pkt);
    }
    /* a damaged file: the cues before the damage are kept, and the loss is said */
    if (!e && ret != AVERROR_EOF)
        cf_log_warn("subtitles", "%s: stream %d read up to %d cues, then: %s", path, s->index,
                    (int)out->n_cues, av_err2str(ret));
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    cf_media_close(&in);
    if (!e && !out->n_cues)
        e = cf_error_set(err, CF_ERR_NOT_FOUND, "%s: subtitle stream %d holds no text", path, s->index);
    if (e) return cf_caption_track_free(out), e;
    qsort(out->cues, out->n_cues, sizeof *out->cues, by_start);
    return CF_OK;
}

cf_err cf_subtitles_transcript(const char *path, const cf_subtitle_stream *s, const char *language,
                               cf_transcript *out, cf_error *err) {
    cf_caption_track track;
    cf_err e = cf_subtitles_read(path, s, &track, err);
    if (!e) e = cf_captions_to_transcript(&track, out, err);
    cf_caption_track_free(&track);
    if (e) return e;
    free(out->model);
    out->model = strdup("subtitles");
    if (language) free(out->language), out->language = strdup(language);
    if (!out->model || !out->language) {
        cf_transcript_free(out);
        return cf_error_set(err, CF_ERR_NO_MEMORY, "subtitles: out of memory");
    }
    return CF_OK;
}

void cf_subtitle_stream_name(const cf_subtitle_stream *s, char *buf, size_t cap) {
    snprintf(buf, cap, "subtitle stream %d (%s%s%s)", s->index, s->codec, s->language[0] ? ", " : "",
             s->language);
}
