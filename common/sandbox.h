/* sandbox.h - what a serving process may still do once it is running: a
 * seccomp filter, no new privileges, no core dumps.
 *
 * A CGI process (after its configuration is loaded) and every FastCGI
 * worker (after the socket is bound and --user applied) drop to what
 * answering requests needs, as kcgi does. Three modes:
 *
 *  off     S3_SANDBOX=0: nothing at all (for debugging: strace, gdb, core
 *          dumps, a new syscall in a library).
 *  strict  the default: an allow-list (sandbox_count(SANDBOX_STRICT)
 *          syscalls; the table in sandbox.c). Everything else fails with
 *          EPERM: a default of ERRNO rather than KILL, because this is a
 *          library-heavy program (OpenSSL, libcurl, libfcgi, libmagic,
 *          glibc's resolver) and a call nobody foresaw must cost one
 *          request a 500, not the worker. Some arguments are checked:
 *            open/openat   read-only only (no O_WRONLY, O_RDWR, O_CREAT,
 *                          O_TRUNC, O_APPEND): mime.types, the magic
 *                          database, ~/.aws files, token files, libcurl;
 *            socket        AF_INET, AF_INET6 (stream or datagram) and
 *                          AF_NETLINK/NETLINK_ROUTE (glibc's resolver): the
 *                          container / IMDS credential sources and DNS. No
 *                          AF_UNIX socket (nothing to connect to: no
 *                          docker.sock & co; glibc then skips nscd);
 *                          socketpair (libcurl's wakeup pair) is allowed;
 *                          no bind, no listen (the FastCGI socket is
 *                          made before);
 *            clone         threads only (CLONE_THREAD|CLONE_VM, no
 *                          CLONE_NEW*: libcurl's resolver thread): no
 *                          fork, and no execve at all;
 *            clone3        ENOSYS, so glibc falls back to clone, whose
 *                          flags the filter can see;
 *            ioctl         TCGETS, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX;
 *            tgkill/tkill  only to this process (abort(), raise());
 *            prlimit64     this process only (pid 0);
 *            prctl         PR_GET_DUMPABLE, PR_GET_NAME, PR_SET_NAME,
 *                          PR_SET_VMA (glibc) and PR_SET_SECCOMP.
 *          Files: which ones may be read is not the filter's business (it
 *          cannot see paths): that is --user and the file modes. mmap and
 *          mprotect are not restricted (dlopen of libcurl needs PROT_EXEC).
 *          Clearly hostile syscalls (ptrace, mount, kexec, bpf, modules,
 *          the setuid family, chroot, unshare, setns, keyctl, io_uring,
 *          ... sandbox.c's list) kill the process (SIGSYS), as does any
 *          syscall of another ABI (i386, x32).
 *  exec    the credentials may come from credential_process, which runs
 *          /bin/sh and whatever it starts: a seccomp filter is inherited
 *          by every child, so an allow-list would break the helper (a
 *          Python or Go program needs hundreds of syscalls). The filter is
 *          then a deny-list: the hostile syscalls fail with EPERM (no
 *          kill: an unknown helper may probe), everything else is allowed.
 *
 * Which of strict and exec: S3_SANDBOX_EXEC=1 or 0 forces it; unset, exec
 * is chosen only when the chain may reach credential_process: S3_CREDENTIALS
 * is chain (no static keys) or file, and AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials) or AWS_CONFIG_FILE (~/.aws/config) mentions
 * credential_process (any profile, any case). Decided once at start: a
 * credential_process added to the files later fails with "cannot run
 * /bin/sh: Operation not permitted" until a restart (or S3_SANDBOX_EXEC=1).
 *
 * Besides the filter (strict and exec): PR_SET_NO_NEW_PRIVS, RLIMIT_CORE 0
 * (a core dump would hold the secrets) and PR_SET_DUMPABLE 0 (no ptrace or
 * /proc/PID/mem, environ by another process of the same user, e.g. another
 * CGI script on shared hosting). RLIMIT_NPROC is not set: it counts every
 * process of the user, so no value is safe, and strict forbids fork anyway.
 *
 * Sanitizer builds (-fsanitize=address): LeakSanitizer stops the world at
 * exit with a ptrace'ing clone, so strict allows clone (any flags), ptrace,
 * wait4, kill, getdents and prctl there. Only x86_64 has the filter: elsewhere
 * sandbox_install() fails with "sandbox unsupported on this architecture"
 * (the caller logs it and serves unsandboxed; the rlimit, dumpable and
 * no-new-privs part is applied all the same). */
#ifndef SIGN_S3_SANDBOX_H
#define SIGN_S3_SANDBOX_H

#include <stddef.h>
#include "config.h"
#include "err.h"

#define SANDBOX_ERRMAX 200     /* suggested size of err / why buffers */

enum sandbox_mode { SANDBOX_OFF, SANDBOX_STRICT, SANDBOX_EXEC };

struct sandbox_plan {
	enum sandbox_mode mode;
	char why[SANDBOX_ERRMAX];  /* why this mode, for the log: no secret */
};

/* Decides the mode from S3_SANDBOX, S3_SANDBOX_EXEC, S3_CREDENTIALS,
 * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE and HOME (through get;
 * NULL: getenv); static_keys: the configuration holds static keys (the
 * env source, which the chain never leaves). S3_ERR_CONFIG with a message
 * naming the variable for a value other than 0 or 1. */
enum s3_err sandbox_plan(struct sandbox_plan *plan, s3_lookup_fn get, void *ctx,
                         int static_keys, char *err, size_t errcap);

/* Applies mode to the calling process and, from now on, to every thread
 * and child it makes (SANDBOX_OFF: nothing). Call it single-threaded, after
 * everything that needs privilege. On failure (err says why; the process
 * is then as before, or with only the rlimit / no-new-privs part) the
 * caller decides; sign_s3 logs and serves on. */
enum s3_err sandbox_install(enum sandbox_mode mode, char *err, size_t errcap);

/* Only the part without the filter (RLIMIT_CORE 0, PR_SET_DUMPABLE 0,
 * PR_SET_NO_NEW_PRIVS), for a process that must go on forking (the
 * --listen parent); nothing for SANDBOX_OFF. sandbox_install() does it
 * too. */
enum s3_err sandbox_harden(enum sandbox_mode mode, char *err, size_t errcap);

/* Syscalls the mode's filter allows (strict) or denies (exec); 0 for off
 * or when unsupported. */
int sandbox_count(enum sandbox_mode mode);

/* 1 when this build has a filter for its architecture. */
int sandbox_supported(void);

/* The log line's text, e.g. "seccomp on (95 syscalls allowed)",
 * "seccomp on (deny-list of 60 syscalls: credential_process in
 * /root/.aws/config)", "off (S3_SANDBOX=0)", "unsupported on this
 * architecture". */
void sandbox_describe(const struct sandbox_plan *plan, char *out, size_t cap);

#endif
