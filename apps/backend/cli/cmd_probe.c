/* cmd_probe.c — `clipforge probe FILE [--json]`: what a media file holds, as a table or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "clipforge/probe.h"
#include "clipforge/timefmt.h"

static const char *probe_help =
    "Usage: clipforge probe FILE [--json]\n"
    "Shows the container, duration and streams (codec, size, colours, frame rate, rotation, sample\n"
    "rate, channels, bit rate; language, title, the default mark, cover pictures) of a media file.\n"
    "--json prints the JSON document instead of a table.\n";

static int64_t int_or(const json_t *obj, const char *key, int64_t def) {
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

static const char *str_or(const json_t *obj, const char *key, const char *def) {
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : def;
}

static bool is_true(const json_t *obj, const char *key) {
    return json_is_true(json_object_get(obj, key));
}

/* "bt709", "HDR smpte2084", "bt709 full range": what players read the pictures with. */
static void print_colors(const json_t *s) {
    if (is_true(s, "hdr")) printf(" HDR %s", str_or(s, "color_transfer", ""));
    else if (json_object_get(s, "color_space")) printf(" %s", str_or(s, "color_space", ""));
    if (!strcmp(str_or(s, "color_range", ""), "pc")) printf(" full range");
}

static void print_video(const json_t *s) {
    printf(" %lldx%lld %s", (long long)int_or(s, "width", 0), (long long)int_or(s, "height", 0),
           str_or(s, "pix_fmt", ""));
    print_colors(s);
    const json_t *fps = json_object_get(s, "avg_frame_rate");
    if (!fps) fps = json_object_get(s, "frame_rate");
    if (is_true(s, "cover_picture")) printf(" cover picture");
    else if (json_is_number(fps)) printf(" %.3f fps", json_number_value(fps));
}

/* The marks that tell a file's tracks apart: language, title, the one players pick. */
static void print_marks(const json_t *s) {
    if (json_object_get(s, "language")) printf(" [%s]", str_or(s, "language", ""));
    if (json_object_get(s, "title")) printf(" \"%s\"", str_or(s, "title", ""));
    if (is_true(s, "default")) printf(" default");
}

static void print_stream(const json_t *s) {
    printf("  #%-2lld %-8s %-10s", (long long)int_or(s, "index", 0), str_or(s, "type", "?"),
           str_or(s, "codec", "?"));
    if (!strcmp(str_or(s, "type", ""), "video")) {
        print_video(s);
        if (int_or(s, "rotation", 0)) printf(" rotation %lld", (long long)int_or(s, "rotation", 0));
        if (strcmp(str_or(s, "pixel_aspect", "1:1"), "1:1"))
            printf(" pixels %s", str_or(s, "pixel_aspect", ""));
        int64_t dw = int_or(s, "display_width", 0), dh = int_or(s, "display_height", 0);
        if (dw != int_or(s, "width", 0) || dh != int_or(s, "height", 0))
            printf(" shown %lldx%lld", (long long)dw, (long long)dh);
    } else if (!strcmp(str_or(s, "type", ""), "audio")) {
        printf(" %lld Hz %s (%lld ch)", (long long)int_or(s, "sample_rate", 0),
               str_or(s, "channel_layout", ""), (long long)int_or(s, "channels", 0));
    }
    int64_t br = int_or(s, "bit_rate", 0);
    if (br > 0) printf(" %lld kb/s", (long long)(br / 1000));
    print_marks(s);
    printf("\n");
}

static void print_table(const json_t *p) {
    char dur[32] = "unknown";
    int64_t ms = int_or(p, "duration_ms", -1);
    if (ms >= 0) cf_format_time_ms(ms, dur, sizeof dur);
    printf("File      %s\n", str_or(p, "path", ""));
    printf("Format    %s (%s)\n", str_or(p, "format", "?"), str_or(p, "format_long", "?"));
    printf("Duration  %s\n", dur);
    printf("Size      %lld bytes\n", (long long)int_or(p, "size_bytes", 0));
    if (int_or(p, "bit_rate", 0) > 0)
        printf("Bit rate  %lld kb/s\n", (long long)(int_or(p, "bit_rate", 0) / 1000));
    printf("Streams\n");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "streams"), i, s) print_stream(s);
    json_array_foreach(json_object_get(p, "notes"), i, s) printf("Note      %s\n", json_string_value(s));
}

int cf_cmd_probe(int argc, char **argv) {
    const char *file = NULL;
    bool as_json = false;
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': as_json = true; break;
        case 'h': fputs(probe_help, stdout); return 0;
        default: return cf_cli_usage_error("probe", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) file = argv[optind++];
    if (optind < argc)
        return cf_cli_usage_error("probe", "only one FILE, got '%s' and '%s'", file, argv[optind]);
    if (!file) return cf_cli_usage_error("probe", "missing FILE");
    json_t *probe = NULL;
    cf_error err;
    cf_error_clear(&err);
    if (cf_probe_file(file, &probe, &err) != CF_OK) return cf_cli_fail("probe", &err);
    if (as_json) {
        json_dumpf(probe, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        print_table(probe);
    }
    json_decref(probe);
    return 0;
}
