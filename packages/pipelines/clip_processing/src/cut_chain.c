/* cut_chain.c — filter text of a jump cut (see cut_chain.h). */
#include "cut_chain.h"

/* select + setpts: a frame is kept when its time lies in a piece (half a frame early, so the
 * frame on a piece's start is in and the one on its end is out); each kept frame moves back by
 * the removed time before it. */
static void video_cut(const cfclip_span *s, double speed, AVBPrint *out) {
    double h = s->frame_s / 2;
    av_bprintf(out, "select='");
    for (size_t i = 0; i < s->n_pieces; i++)
        av_bprintf(out, "%sgte(t,%.6f)*lt(t,%.6f)", i ? "+" : "", s->pieces[i].start_s - h,
                   s->pieces[i].end_s - h);
    av_bprintf(out, "',setpts='round((PTS-(%.6f", s->pieces[0].start_s);
    for (size_t i = 1; i < s->n_pieces; i++)
        av_bprintf(out, "+gte(T,%.6f)*%.6f", s->pieces[i].start_s - h,
                   s->pieces[i].start_s - s->pieces[i - 1].end_s);
    av_bprintf(out, ")/TB)/%.6f)'", speed);
}

/* asplit into one branch per piece, atrim each (widened by half the crossfade at each inner
 * joint), then chain acrossfades; the last one's output continues the chain. */
static void audio_cut(const cfclip_span *s, AVBPrint *out) {
    size_t n = s->n_pieces;
    double x = CFCLIP_CUT_XFADE_S;
    if (n == 1) {
        av_bprintf(out, "atrim=start=%.6f:end=%.6f,asetpts=PTS-STARTPTS", s->pieces[0].start_s,
                   s->pieces[0].end_s);
        return;
    }
    av_bprintf(out, "asplit=%zu", n);
    for (size_t i = 0; i < n; i++) av_bprintf(out, "[cs%zu]", i);
    for (size_t i = 0; i < n; i++)
        av_bprintf(out, ";[cs%zu]atrim=start=%.6f:end=%.6f,asetpts=PTS-STARTPTS[cp%zu]", i,
                   s->pieces[i].start_s - (i ? x / 2 : 0), s->pieces[i].end_s + (i + 1 < n ? x / 2 : 0), i);
    for (size_t i = 1; i < n; i++) {
        if (i == 1) av_bprintf(out, ";[cp0]");
        else av_bprintf(out, "[cx%zu];[cx%zu]", i - 1, i - 1);
        av_bprintf(out, "[cp%zu]acrossfade=d=%.6f:c1=tri:c2=tri", i, x);
    }
}

void cfclip_cut_timing(const cfclip_span *span, bool audio, double speed, AVBPrint *out) {
    if (audio) audio_cut(span, out);
    else video_cut(span, speed, out);
}
