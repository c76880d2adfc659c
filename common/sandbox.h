/* sandbox.h - what a serving process may still do once it is running: a
 * seccomp filter, no new privileges, no core dumps; and the credential
 * broker that runs credential_process outside it. This is the one
 * description of the sandbox; README, main.c and listen.h point here.
 *
 * A CGI process (after its configuration is loaded), a FastCGI process on
 * stdin and every --listen worker (after the socket is bound and --user
 * applied) drop to what answering requests needs, as kcgi does. Modes:
 *
 *  off     S3_SANDBOX=0: nothing at all (for debugging: strace, gdb, core
 *          dumps, a new syscall in a library); credential_process runs
 *          from the serving process itself (broker.c).
 *  strict  the default: an allow-list (sandbox_count() syscalls; the table
 *          in sandbox.c). Everything else fails with EPERM: a default of
 *          ERRNO rather than KILL, because this is a library-heavy program
 *          (OpenSSL, libcurl, libfcgi, libmagic, glibc's resolver) and a
 *          call nobody foresaw must cost one request a 500, not the
 *          worker. Some arguments are checked:
 *            open/openat   read-only only (no O_WRONLY, O_RDWR, O_CREAT,
 *                          O_TRUNC, O_APPEND): mime.types, the magic
 *                          database, ~/.aws files, token files, libcurl;
 *            socket        nothing in strict: socket() always fails with
 *                          EPERM, AF_INET included (signing is offline);
 *                          socketpair (AF_UNIX: libcurl's wakeup pair) is
 *                          allowed; no bind, no listen (the FastCGI socket
 *                          is made before);
 *            clone         threads only (CLONE_THREAD|CLONE_VM, no
 *                          CLONE_NEW*: libcurl's resolver thread): no
 *                          fork, and no execve at all, in any mode;
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
 *  inet    strict, plus socket() for AF_INET and AF_INET6 (stream or
 *          datagram) and AF_NETLINK/NETLINK_ROUTE (glibc's resolver): the
 *          container and IMDS credential sources (libcurl) and DNS. Still
 *          no AF_UNIX socket (nothing to connect to: no docker.sock & co;
 *          glibc then skips nscd). Chosen only when the credentials may
 *          come from the network: s3_creds_reach() says S3_CREDS_REACH_NET
 *          (S3_CREDENTIALS container or imds, or chain without static keys
 *          unless no container URI is set and AWS_EC2_METADATA_DISABLED is
 *          true), or when the process calls S3 itself (the multipart
 *          routes, S3_MULTIPART=1, the default: SANDBOX_REACH_S3).
 *
 * credential_process: no mode allows execve or fork, so the helper runs
 * in a broker (broker.h), as OpenSSH's privilege separation and OpenBSD's
 * slowcgi do: a small process forked right before the filter goes in
 * (broker_prepare(), called next to sandbox_install() by CGI, FastCGI on
 * stdin and each --listen worker), connected by a socketpair, without the
 * filter (the helper may be a Python or Go program needing hundreds of
 * syscalls), with no fd but its socket, that runs /bin/sh -c CMD with a
 * minimal environment (PATH, HOME, the AWS_* names that choose files,
 * profile and region: nothing from a request, no secret) and answers the
 * exit status and the output. It is forked when s3_creds_reach() says
 * S3_CREDS_REACH_PROCESS (S3_CREDENTIALS file, or chain without static
 * keys), whatever ~/.aws holds: a fork is cheap, and a credential_process
 * added to the files later works without a restart. Otherwise, or when
 * its fork failed (logged at start), credential_process fails with
 * "credential_process: not available: ...". S3_SANDBOX_EXEC, the old
 * switch to a deny-list filter that allowed execve, is refused at start.
 *
 * Besides the filter (strict and inet): PR_SET_NO_NEW_PRIVS, RLIMIT_CORE
 * 0 (a core dump would hold the secrets) and PR_SET_DUMPABLE 0 (no ptrace
 * or /proc/PID/mem, environ by another process of the same user, e.g.
 * another CGI script on shared hosting); the broker has these too.
 * RLIMIT_NPROC is not set: it counts every process of the user, so no
 * value is safe, and the filter forbids fork anyway.
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

#define SANDBOX_ERRMAX 200     /* suggested size of err buffers */

enum sandbox_mode { SANDBOX_OFF, SANDBOX_STRICT, SANDBOX_INET };

struct sandbox_plan {
	enum sandbox_mode mode;
	int broker;                /* fork the credential broker (never with off) */
	int s3;                    /* INET for the S3 client (SANDBOX_REACH_S3) */
	int creds_net;             /* INET for the credentials (S3_CREDS_REACH_NET) */
};

/* With s3_creds_reach()'s flags in sandbox_plan's reach: the process calls
 * S3 itself (the multipart routes, S3_MULTIPART=1), so it needs INET
 * sockets whatever the credentials need. */
#define SANDBOX_REACH_S3 0x100u

/* Decides the plan from S3_SANDBOX and S3_SANDBOX_EXEC (through get; NULL:
 * getenv) and reach, s3_creds_reach()'s flags. S3_ERR_CONFIG with a
 * message naming the variable for S3_SANDBOX other than 0 or 1, and for
 * S3_SANDBOX_EXEC set at all. */
enum s3_err sandbox_plan(struct sandbox_plan *plan, s3_lookup_fn get, void *ctx,
                         unsigned reach, char *err, size_t errcap);

/* Applies mode to the calling process and, from now on, to every thread
 * it makes (SANDBOX_OFF: nothing). Call it single-threaded, after
 * everything that needs privilege and after broker_prepare(). On failure
 * (err says why; the process is then as before, or with only the rlimit /
 * no-new-privs part) the caller decides; sign_s3 logs and serves on. */
enum s3_err sandbox_install(enum sandbox_mode mode, char *err, size_t errcap);

/* Only the part without the filter (RLIMIT_CORE 0, PR_SET_DUMPABLE 0,
 * PR_SET_NO_NEW_PRIVS), for a process that must go on forking (the
 * --listen parent, the broker); nothing for SANDBOX_OFF. sandbox_install()
 * does it too. */
enum s3_err sandbox_harden(enum sandbox_mode mode, char *err, size_t errcap);

/* Syscalls the mode's filter allows; 0 for off or when unsupported. */
int sandbox_count(enum sandbox_mode mode);

/* 1 when this build has a filter for its architecture. */
int sandbox_supported(void);

/* The log line's text, e.g. "seccomp on (98 syscalls allowed, no INET
 * sockets)", "seccomp on (99 syscalls allowed, INET sockets for the
 * container/IMDS credentials, credential_process through a broker)",
 * "off (S3_SANDBOX=0)", "unsupported on this architecture". */
void sandbox_describe(const struct sandbox_plan *plan, char *out, size_t cap);

#endif
