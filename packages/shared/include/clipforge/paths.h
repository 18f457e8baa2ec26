/* paths.h — where clipforge finds its data files (templates, profiles, models, the web UI) and
 * keeps its state. Nothing points into a source tree or the current directory: data files are
 * found relative to the running binary, state goes where the service manager or the XDG base
 * directory specification says. */
#ifndef CLIPFORGE_PATHS_H
#define CLIPFORGE_PATHS_H

/* The directory of read-only data files, resolved once per process:
 * $CLIPFORGE_SHARE_DIR when set, else <binary dir>/../share/clipforge (an installed binary:
 * PREFIX/bin -> PREFIX/share/clipforge), else <binary dir>/share/clipforge (a build tree, which
 * stages its data there). When none exists, the installed location, so that errors name the
 * place the files were expected. Static storage; never NULL. */
const char *cf_share_dir(void);
/* <share dir>/<sub> ("templates", "profiles", "models", "web"): static storage, resolved once per
 * name, never NULL (a fixed fallback when memory runs out). */
const char *cf_share_path(const char *sub);
/* The default state directory (database, storage, temp files) when CLIPFORGE_DATA_DIR is not
 * set: $STATE_DIRECTORY (systemd's StateDirectory=, first entry), else
 * $XDG_STATE_HOME/clipforge, else $HOME/.local/state/clipforge. malloc'd; NULL when neither
 * HOME nor the others are set (or out of memory). */
char *cf_default_state_dir(void);

#endif
