/* ws_frame.h — RFC 6455 framing as a server sees it: client frames parsed (masked, size-limited,
 * unmasked in place) and checked against the message in progress, server frame headers written.
 * Pure functions over buffers, no I/O (ws.c does that), so they can be fuzzed alone. */
#ifndef CLIPFORGE_WS_FRAME_H
#define CLIPFORGE_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CF_WS_CONTINUATION = 0x0,
    CF_WS_TEXT = 0x1,
    CF_WS_BINARY = 0x2,
    CF_WS_CLOSE = 0x8,
    CF_WS_PING = 0x9,
    CF_WS_PONG = 0xA,
};

/* Close status codes the server sends (RFC 6455 section 7.4.1). */
enum {
    CF_WS_CLOSE_NORMAL = 1000,
    CF_WS_CLOSE_GOING_AWAY = 1001,
    CF_WS_CLOSE_PROTOCOL = 1002,
    CF_WS_CLOSE_INVALID_DATA = 1007,
    CF_WS_CLOSE_TOO_BIG = 1009,
    CF_WS_CLOSE_INTERNAL = 1011,
};

#define CF_WS_MAX_HEADER 14   /* 2 + 8 bytes of length + 4 of mask */
#define CF_WS_MAX_CONTROL 125 /* control frames' payload limit */

typedef struct cf_ws_frame {
    int opcode;
    bool fin;
    uint8_t *payload; /* inside the parsed buffer, unmasked */
    size_t len;
} cf_ws_frame;

/* Parses the client frame at the start of buf (len bytes) and unmasks its payload in place.
 * Returns the bytes it takes (> 0) with *out filled, 0 when more bytes are needed, or minus the
 * close code to answer with: -1002 for a protocol error (unmasked, reserved bits or opcodes, a
 * fragmented or long control frame, a length not in its shortest form), -1009 for a payload over
 * max_payload (known from the header alone, before the payload arrives). */
long cf_ws_frame_parse(uint8_t *buf, size_t len, size_t max_payload, cf_ws_frame *out);

/* The state of the client's fragmented message, if one is in progress. */
typedef struct cf_ws_message {
    bool open;       /* a first fragment came, its final one not yet */
    bool text;       /* it is a text message: its bytes must be UTF-8 */
    uint64_t length; /* bytes so far */
    uint8_t need;    /* UTF-8: continuation bytes the sequence in progress still needs */
    uint8_t lo, hi;  /* UTF-8: the range of the next continuation byte */
} cf_ws_message;

/* Checks a parsed frame against the message in progress and advances it: 0 when fine, else the
 * close code (1002 for a continuation without a start or a new message inside one, 1009 for a
 * message over max_message bytes, 1007 for text that is not UTF-8 (also across fragments), 1002
 * for a close frame with a malformed status, 1007 for its reason not in UTF-8). */
int cf_ws_message_take(cf_ws_message *m, const cf_ws_frame *f, uint64_t max_message);

/* Writes the header of an unmasked server frame (FIN set) into hdr (at least 10 bytes); returns
 * its length. */
size_t cf_ws_frame_header(uint8_t *hdr, int opcode, uint64_t payload_len);

#endif
