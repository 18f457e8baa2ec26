/* clip_run.c — cf_clip_run: the job around the engine. Temp dir per job (named after the clip
 * so cleanup can find leftovers), rename into place only on success, artifacts measured by
 * probing what was written. Settings (cf_clip_configure, from the app's CLIPFORGE_MAX_DIMENSION,
 * CLIPFORGE_MAX_DURATION_MS, CLIPFORGE_THREADS and CLIPFORGE_DATA_DIR) are kept here. */
#include "clipforge/clip.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clip_engine.h"
#include "clip_request.h"
#include "clip_run_internal.h"
#include "clipforge/clock.h"
#include "clipforge/measure.h"
#include "clipforge/config.h"
#include "clipforge/domain/notes.h"
#include "clipforge/fs.h"
#include "clipforge/jump_cut.h"
#include "clipforge/log.h"
#include "clipforge/probe.h"

void cfclip_temp_prefix(const char *clip_id, char *buf, size_t len) {
    size_t n = (size_t)snprintf(buf, len, "cfclip-");
    for (const char *c = clip_id ? clip_id : ""; *c && n + 2 < len && n < 64; c++)
        buf[n++] = (char)((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                                  *c == '_'
                              ? *c
                              : '_');
    buf[n++] = '-';
    buf[n] = '\0';
}

static cf_err check_output(const char *output, const char *input, cf_error *err) {
    if (!output || !*output) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no output file given");
    char *copy = strdup(output);
    if (!copy) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    struct stat st, in_st;
    cf_err rc = CF_OK;
    const char *dir = dirname(copy);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "cannot write %s: directory %s does not exist",
                          output, dir);
    else if (access(dir, W_OK) != 0)
        rc = cf_error_set(err, CF_ERR_PERMISSION, "cannot write %s: %s", output, strerror(errno));
    else if (stat(output, &st) == 0 && S_ISDIR(st.st_mode))
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "output %s is a directory", output);
    else if (stat(output, &st) == 0 && stat(input, &in_st) == 0 && st.st_dev == in_st.st_dev &&
             st.st_ino == in_st.st_ino)
        rc = cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "output %s would overwrite the input", output);
    free(copy);
    return rc;
}

cf_err cfclip_move_into_place(const char *src, const char *dst, cf_error *err) {
    chmod(src, 0644); /* mkstemp-style private modes are wrong for published media */
    return cf_move_file(src, dst, err);
}

char *cfclip_default_thumb_path(const char *output) {
    const char *dot = strrchr(output, '.'), *slash = strrchr(output, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - output) : strlen(output);
    char *p = malloc(stem + 5);
    if (p) snprintf(p, stem + 5, "%.*s.jpg", (int)stem, output);
    return p;
}

static char *dup_or_null(const char *s) {
    return s && *s ? strdup(s) : NULL;
}

/* Written once at startup (cf_clip_configure), read-only while clips run. */
static cf_clip_settings g_settings; /* its data_dir is g_data_dir, owned here */
static char *g_data_dir;

cf_err cf_clip_configure(const cf_clip_settings *s, cf_error *err) {
    cf_clip_settings none = {0};
    if (!s) s = &none;
    cf_err rc = cf_config_keep(&g_data_dir, s->data_dir, err);
    if (rc) return rc;
    g_settings = *s;
    g_settings.data_dir = g_data_dir;
    return CF_OK;
}

const char *cfclip_data_dir(void) {
    return g_data_dir;
}

static void apply_limits(cfclip_plan *plan, const cf_clip_options *opts) {
    if (g_settings.max_dimension > 0) plan->max_dimension = g_settings.max_dimension;
    plan->max_duration_ms = g_settings.max_duration_ms;
    plan->threads = opts->threads > 0 ? opts->threads : g_settings.threads;
}

static cf_err add_removed(cf_clip_processing_result *out, const cfclip_report *report, cf_error *err) {
    return cf_jump_cut_copy_removed(report->removed, report->n_removed, &out->removed_ranges,
                                    &out->n_removed_ranges, err);
}

/* A clip shorter than its span (the streams chosen end before the span does, where the file
 * goes on: another recording's streams after them) says so, rather than passing for whole; so
 * does one stream of it that ends early (a soundtrack shorter than its pictures), as the source's
 * does. */
static void shorter_note(const cfclip_report *report, const cf_artifact *a, char *note, size_t n) {
    *note = 0;
    double want_ms = report->expected_s * 1000 - 500;
    if (report->expected_s <= 0 || !a->has_duration_ms) return;
    if (a->duration_ms < want_ms) {
        snprintf(note, n,
                 "the clip is %.1f s long, not the %.1f s asked for: the streams taken from the source end "
                 "before the span does",
                 a->duration_ms / 1000.0, report->expected_s);
        return;
    }
    for (size_t i = 0; i < a->n_streams; i++) {
        const cf_artifact_stream *st = &a->streams[i];
        double end_ms = (double)(st->has_start_ms ? st->start_ms : 0) + (double)st->duration_ms;
        if (!st->has_duration_ms || !st->has_source_index || end_ms >= want_ms) continue;
        bool audio = st->kind == CF_STREAM_KIND_AUDIO;
        snprintf(note, n, "%s stream %d of the source ends %.1f s into the clip of %.1f s: %s after it",
                 audio ? "audio" : "video", (int)st->source_index, end_ms / 1000.0, a->duration_ms / 1000.0,
                 audio ? "silence" : "its last picture shows");
        return;
    }
}

static cf_err build_result(const cf_clip_processing_request *req, const cfclip_plan *plan,
                           const cfclip_report *report, const char *output, const char *thumb,
                           cf_clip_processing_result *out, cf_error *err) {
    cf_clip_processing_result_init(out);
    out->clip_id = dup_or_null(req->clip_id);
    out->output_uri = strdup(output);
    out->artifacts = calloc(2, sizeof *out->artifacts);
    if (!out->output_uri || !out->artifacts) return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    cf_artifact_kind kind = plan->format == CFCLIP_GIF ? CF_ARTIFACT_KIND_IMAGE : CF_ARTIFACT_KIND_VIDEO;
    cf_artifact *a = &out->artifacts[0];
    cf_err rc = cf_media_measure(output, kind, cfclip_format_mime(plan->format), a, err);
    out->n_artifacts = 1;
    if (rc) return rc;
    cf_media_note_sources(a, report->video_source, report->audio_source);
    /* the last line of defence: every stream class the source gave must be in the file */
    if ((rc = cf_media_expect_streams(a, report->video_source >= 0, report->audio_source >= 0, err)))
        return rc;
    char shorter[160];
    shorter_note(report, a, shorter, sizeof shorter);
    if ((rc = cf_notes_add(&out->notes, &out->n_notes, report->note, err)) ||
        (rc = cf_notes_add(&out->notes, &out->n_notes, shorter, err)) ||
        (rc = cf_notes_add(&out->notes, &out->n_notes, report->left_out, err)) ||
        (rc = cf_notes_add(&out->notes, &out->n_notes, report->shown, err)) ||
        (rc = cf_notes_add(&out->notes, &out->n_notes, report->loudness, err)))
        return rc;
    if ((rc = add_removed(out, report, err))) return rc;
    if (thumb) {
        rc = cf_media_measure(thumb, CF_ARTIFACT_KIND_THUMBNAIL, "image/jpeg", &out->artifacts[1], err);
        out->n_artifacts = 2;
    }
    return rc;
}

static cf_err rename_uri(char **uri, const char *path, cf_error *err) {
    free(*uri);
    *uri = strdup(path);
    return *uri ? CF_OK : cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
}

/* Points the result at the published files instead of the temp ones. */
static cf_err name_artifacts(cf_clip_processing_result *out, const char *output, const char *thumb,
                             cf_error *err) {
    cf_err rc = rename_uri(&out->output_uri, output, err);
    if (!rc) rc = rename_uri(&out->artifacts[0].uri, output, err);
    if (!rc && out->n_artifacts > 1) rc = rename_uri(&out->artifacts[1].uri, thumb, err);
    return rc;
}

typedef struct job_paths {
    char *temp_dir, *temp_out, *temp_thumb, *thumb;
} job_paths;

static cf_err make_paths(const cf_clip_processing_request *req, const cfclip_plan *plan,
                         const cf_clip_options *opts, job_paths *jp, cf_error *err) {
    char prefix[96], name[16];
    cfclip_temp_prefix(req->clip_id, prefix, sizeof prefix);
    cf_err rc = cf_make_temp_dir(opts->temp_dir, prefix, &jp->temp_dir, err);
    if (rc) return rc;
    snprintf(name, sizeof name, "clip.%s", cfclip_format_name(plan->format));
    jp->temp_out = cf_path_join(jp->temp_dir, name);
    if (plan->thumbnail) {
        jp->temp_thumb = cf_path_join(jp->temp_dir, "thumb.jpg");
        jp->thumb =
            plan->thumb_path ? strdup(plan->thumb_path) : cfclip_default_thumb_path(opts->output_path);
    }
    if (!jp->temp_out || (plan->thumbnail && (!jp->temp_thumb || !jp->thumb)))
        return cf_error_set(err, CF_ERR_NO_MEMORY, "out of memory");
    return CF_OK;
}

static void free_paths(job_paths *jp) {
    if (jp->temp_dir) {
        cf_error ignored;
        cf_remove_tree(jp->temp_dir, &ignored);
    }
    free(jp->temp_dir);
    free(jp->temp_out);
    free(jp->temp_thumb);
    free(jp->thumb);
}

static cf_err publish(const job_paths *jp, const char *output, cf_error *err) {
    cf_err rc = cfclip_move_into_place(jp->temp_out, output, err);
    if (!rc && jp->thumb && (rc = cfclip_move_into_place(jp->temp_thumb, jp->thumb, err)))
        unlink(output); /* all or nothing */
    return rc;
}

cf_err cf_clip_run(const cf_clip_processing_request *req, const cf_clip_options *opts, cf_progress *progress,
                   cf_clip_processing_result *out, cf_error *err) {
    int64_t t0 = cf_clock_ms();
    cfclip_plan plan;
    job_paths jp = {0};
    cfclip_report report = {0};
    cf_clip_processing_result_init(out);
    if (!req || !opts) return cf_error_set(err, CF_ERR_INVALID_ARGUMENT, "no request or options");
    cf_err rc = cfclip_plan_from_request(req, &plan, err);
    if (!rc) apply_limits(&plan, opts);
    if (!rc) rc = check_output(opts->output_path, plan.input, err);
    if (!rc && plan.thumbnail && plan.thumb_path) rc = check_output(plan.thumb_path, plan.input, err);
    if (!rc) rc = make_paths(req, &plan, opts, &jp, err);
    if (!rc) rc = cfclip_execute(&plan, jp.temp_out, jp.temp_thumb, progress, &report, err);
    /* Measured before publishing, so a file that does not probe is never left in place. */
    if (!rc) rc = build_result(req, &plan, &report, jp.temp_out, jp.temp_thumb, out, err);
    free(report.removed);
    if (!rc) rc = publish(&jp, opts->output_path, err);
    if (!rc) rc = name_artifacts(out, opts->output_path, jp.thumb, err);
    if (rc) {
        cf_clip_processing_result_free(out);
    } else {
        out->processing_time_ms = cf_clock_ms() - t0;
        cf_log_debug("clip", "clip %s: %s in %lld ms%s", req->clip_id ? req->clip_id : "-", opts->output_path,
                     (long long)out->processing_time_ms, report.stream_copied ? " (stream copy)" : "");
    }
    free_paths(&jp);
    if (rc) cf_log_debug("clip", "clip %s failed: %s", req->clip_id ? req->clip_id : "-", err->msg);
    return rc;
}
