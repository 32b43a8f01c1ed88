/*
 * Signed evidence, end to end: a record (model/evidence) becomes an in-toto
 * statement, is signed into a DSSE envelope (adapters/sign) and appended to
 * the note of its commit on refs/notes/maestro, in a notes commit that is
 * itself signed (adapters/git/notes). Verification walks the same path back:
 * every notes commit's signature, that no commit ever removed a record, and
 * every envelope's signature and statement, accepting only pinned keys.
 */
#ifndef MC_PIPELINE_EVIDENCE_H
#define MC_PIPELINE_EVIDENCE_H
#include <json-c/json.h>
#include <stddef.h>

#include "adapters/git/remote.h"
#include "adapters/git/repo.h"
#include "model/config.h"
#include "model/evidence.h"

typedef struct mc_evidence_options {
	const char *gnupghome;        /* NULL: $GNUPGHOME, else gpg's default */
	const char *signing_key;      /* a fingerprint; NULL: evidence.signing_key, then user.signingkey */
	const char *const *pins;      /* fingerprints accepted besides evidence.pinned_keys */
	size_t npins;
	const char *ref;              /* NULL: refs/notes/maestro */
	unsigned threads;             /* gpg operations at once when signing or verifying many
				       * records (each is a gpg process): 0 = automatic, 1 = serial */
} mc_evidence_options;

typedef struct mc_evidence mc_evidence;

/* Whether a signing key is configured at all (evidence.signing_key, else git's
 * user.signingkey): without one, recording is skipped with a note, not an error. */
int mc_evidence_signing_configured(mc_repo *repo, const mc_config *cfg);

/*
 * Record predicate (borrowed) about commit as the configuration asks: skipped with a
 * note when evidence.record is false or no signing key is configured; a configured
 * key that cannot sign is an error (then nothing is written). *note (malloc'd) says
 * for people what happened; what names the record in it ("card", "override").
 */
int mc_evidence_record_as_configured(char **note, int *appended, mc_repo *repo,
				     const mc_config *cfg, enum mc_evidence_kind kind,
				     const char *subject_name, const char *commit,
				     struct json_object *predicate, const char *what);

/*
 * Open the evidence store of repo. With sign, a signing key is required (MC_EENV
 * saying how to set one when there is none). Pins: evidence.pinned_keys of cfg
 * plus opt->pins; when both are empty, the signing key alone.
 */
int mc_evidence_open(mc_evidence **out, mc_repo *repo, const mc_config *cfg,
		     const mc_evidence_options *opt, int sign);
void mc_evidence_close(mc_evidence *ev);
/* The signing key's fingerprint, or NULL when opened for verification only. */
const char *mc_evidence_signer(const mc_evidence *ev);

/* Record predicate (borrowed) about commit. An identical record already in the note
 * (mc_evidence_same_record) is not appended again: *appended = 0. */
int mc_evidence_record(int *appended, mc_evidence *ev, enum mc_evidence_kind kind,
		       const char *subject_name, const char *commit, struct json_object *predicate);

/* One record for mc_evidence_record_many. */
typedef struct mc_evidence_item {
	enum mc_evidence_kind kind;
	const char *commit;              /* the commit's full id */
	struct json_object *predicate;   /* borrowed */
} mc_evidence_item;

/*
 * Record many predicates in one notes commit: one DSSE envelope per record (signed
 * several at a time, see mc_evidence_options.threads), all appended together with
 * mc_notes_append_many. A record already in its commit's note, or earlier in items,
 * is skipped; *appended counts the records written. Every statement is built and
 * checked before anything is signed; nothing is written when any signature fails.
 */
int mc_evidence_record_many(int *appended, mc_evidence *ev, const char *subject_name,
			    const mc_evidence_item *items, size_t n);

/* Where recording spent its time so far (seconds of wall time, summed over calls). */
typedef struct mc_evidence_stats {
	double check_s;          /* building statements and checking them against the schemas */
	double dedup_s;          /* the duplicate check: reading notes, comparing records */
	double envelope_sign_s;  /* signing DSSE envelopes */
	double notes_s;          /* appending to the notes (lock, git reads and object writes,
				  * the notes commit's signature, the ref update) */
	double commit_sign_s;    /* of notes_s: signing notes commits */
	unsigned long envelopes; /* envelopes signed */
	unsigned long commits;   /* notes commits signed */
} mc_evidence_stats;
const mc_evidence_stats *mc_evidence_get_stats(const mc_evidence *ev);

/* One record of a note, decoded and checked. */
typedef struct mc_evidence_entry {
	int line;                     /* 1-based line of the note */
	int verified;                 /* signature good, by a pinned key, statement valid */
	char signer[41];              /* the signature's key, when it verified */
	char *problem;                /* why it did not verify */
	struct json_object *statement; /* the decoded payload, NULL when it does not decode */
} mc_evidence_entry;

/* The records in the note of commit (a revision), each checked. */
int mc_evidence_show(mc_evidence_entry **entries, size_t *n, mc_evidence *ev, const char *commit);
void mc_evidence_entries_free(mc_evidence_entry *entries, size_t n);

typedef struct mc_evidence_report {
	unsigned notes_commits;       /* notes commits whose signature was checked */
	unsigned targets;             /* annotated commits whose records were checked */
	unsigned records;             /* envelopes verified */
} mc_evidence_report;

/*
 * Verify the evidence: every notes commit signed by a pinned key; no notes commit
 * removes a line any parent had; the ref never moved backwards or sideways (its
 * reflog); and every record in the notes of targets (commit ids; NULL = every
 * annotated commit) verifies. The first failure is MC_EVERIFY naming the object.
 * Signatures are checked several at a time (mc_evidence_options.threads), each thread
 * with its own gpg context; git is read on the calling thread only. The failure
 * reported is the one a serial check meets first: notes commits newest first, then
 * records by commit id and line.
 */
int mc_evidence_verify(mc_evidence_report *report, mc_evidence *ev, const char *const *targets,
		       size_t ntargets);

/* Push the evidence ref to remote (a remote name, URL or path); never forced. */
int mc_evidence_push(mc_evidence *ev, const char *remote, const mc_remote_options *opt);

/*
 * Fetch remote's evidence into refs/notes/remotes/<name>/maestro (refusing a remote
 * whose evidence history was rewritten), verify it with the same pins, and merge it
 * line-wise into the local ref. *result: 0 nothing new, 1 fast-forward, 2 merged
 * (a signed merge commit, which needs the signing key).
 */
int mc_evidence_fetch(int *result, mc_evidence *ev, const char *remote,
		      const mc_remote_options *opt);

#endif
