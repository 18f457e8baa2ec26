/* stt_score — scores a transcript against known speech: word error rate (Levenshtein over
 * normalised words) and word timing (first/last recognised word of each sentence against where
 * the sentence really starts and ends, and recognised words inside the known pauses).
 * Usage: stt_score REFERENCE TRANSCRIPT.json
 * REFERENCE has one sentence per line: "start_ms end_ms text". Prints one JSON object. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clipforge/json.h"
#include "clipforge/transcribe.h"

#define MAX_WORDS 20000
#define MAX_SENTENCES 2000

typedef struct sentence {
    long long start, end;
} sentence;

/* Lower-cases and keeps letters, digits and apostrophes; returns the number of words added. */
static size_t split_words(const char *text, char **out, size_t n, size_t max) {
    size_t added = 0;
    char buf[256];
    while (*text && n + added < max) {
        size_t k = 0;
        while (*text && isspace((unsigned char)*text)) text++;
        while (*text && !isspace((unsigned char)*text)) {
            unsigned char c = (unsigned char)*text++;
            if ((isalnum(c) || c == '\'') && k + 1 < sizeof buf) buf[k++] = (char)tolower(c);
        }
        if (k) {
            buf[k] = '\0';
            out[n + added++] = strdup(buf);
        }
    }
    return added;
}

static size_t edit_distance(char **a, size_t na, char **b, size_t nb) {
    size_t *prev = malloc((nb + 1) * sizeof *prev), *cur = malloc((nb + 1) * sizeof *cur);
    for (size_t j = 0; j <= nb; j++) prev[j] = j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t sub = prev[j - 1] + (strcmp(a[i - 1], b[j - 1]) != 0);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[nb];
    free(prev);
    free(cur);
    return d;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: stt_score REFERENCE TRANSCRIPT.json\n");
        return 2;
    }
    static char *ref[MAX_WORDS], *hyp[MAX_WORDS];
    static sentence sent[MAX_SENTENCES];
    size_t nr = 0, nh = 0, ns = 0;
    FILE *f = fopen(argv[1], "r");
    char line[8192];
    while (f && fgets(line, sizeof line, f) && ns < MAX_SENTENCES) {
        int used = 0;
        if (sscanf(line, "%lld %lld %n", &sent[ns].start, &sent[ns].end, &used) < 2) continue;
        nr += split_words(line + used, ref, nr, MAX_WORDS);
        ns++;
    }
    if (f) fclose(f);
    cf_error err = {0};
    json_t *j = cf_json_load_file(argv[2], 64 << 20, 64, &err);
    cf_transcript t;
    if (!j || cf_transcript_from_json(j, &t, &err) != CF_OK || !nr) {
        fprintf(stderr, "stt_score: %s\n", nr ? err.msg : "empty reference");
        return 1;
    }
    json_decref(j);
    /* timing: recognised words by sentence (a word belongs to the sentence it overlaps most) */
    double sum_err = 0, max_err = 0;
    size_t n_err = 0, in_gaps = 0;
    for (size_t s = 0; s < t.n_segments; s++)
        for (size_t w = 0; w < t.segments[s].n_words; w++) {
            const cf_transcript_word *wd = &t.segments[s].words[w];
            nh += split_words(wd->word, hyp, nh, MAX_WORDS);
            long long mid = (wd->start_ms + wd->end_ms) / 2;
            size_t k = 0;
            while (k < ns && !(mid >= sent[k].start - 150 && mid <= sent[k].end + 150)) k++;
            if (k == ns) in_gaps++;
        }
    for (size_t k = 0; k < ns; k++) {
        long long first = -1, last = -1;
        for (size_t s = 0; s < t.n_segments; s++)
            for (size_t w = 0; w < t.segments[s].n_words; w++) {
                const cf_transcript_word *wd = &t.segments[s].words[w];
                long long mid = (wd->start_ms + wd->end_ms) / 2;
                if (mid < sent[k].start - 150 || mid > sent[k].end + 150) continue;
                if (first < 0) first = wd->start_ms;
                last = wd->end_ms;
            }
        if (first < 0) continue;
        double e1 = (double)llabs(first - sent[k].start), e2 = (double)llabs(last - sent[k].end);
        sum_err += e1 + e2;
        n_err += 2;
        if (e1 > max_err) max_err = e1;
        if (e2 > max_err) max_err = e2;
    }
    size_t d = edit_distance(ref, nr, hyp, nh);
    printf("{\"wer\": %.4f, \"ref_words\": %zu, \"hyp_words\": %zu, \"errors\": %zu, "
           "\"boundary_err_ms_mean\": %.1f, \"boundary_err_ms_max\": %.1f, "
           "\"sentences_found\": %zu, \"sentences\": %zu, \"words_in_gaps\": %zu}\n",
           (double)d / (double)nr, nr, nh, d, n_err ? sum_err / (double)n_err : -1.0, max_err, n_err / 2, ns,
           in_gaps);
    for (size_t i = 0; i < nr; i++) free(ref[i]);
    for (size_t i = 0; i < nh; i++) free(hyp[i]);
    cf_transcript_free(&t);
    return 0;
}
