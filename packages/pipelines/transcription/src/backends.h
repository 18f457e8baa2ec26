/* backends.h — the transcriber backends built into cftranscribe (one file each). */
#ifndef CLIPFORGE_STT_BACKENDS_H
#define CLIPFORGE_STT_BACKENDS_H

#include "clipforge/transcribe.h"

extern const cf_transcriber cf__pocketsphinx_transcriber;

#endif
