/* fuzz_json_strict.c - common/json.c's strict check against Python's json,
 * the reference strict reader, on the same bytes (embedded CPython 3.11,
 * Debian's libpython; built by fuzz.mk from /usr/bin/python3-config).
 *
 * Input: the bytes of a JSON text, as a client would send them. Our side:
 * s3_json_check(data, size, FUZZ_DEPTH, flags), once with no flags (the
 * grammar) and once with S3_JSON_NO_LONE_SURROGATES (what the request
 * decoder and the credential parser use). Python's side (PY_VERDICT below):
 * the bytes decode as strict UTF-8 ('utf-8-sig': one leading BOM dropped,
 * as json.loads does on bytes and as json.h allows), and
 * JSONDecoder(parse_constant=<raise>).decode() takes the text: Python
 * accepts NaN, Infinity and -Infinity by default, RFC 8259 does not.
 * parse_int and parse_float are stubs: the verdict is about the syntax, and
 * int() would refuse more than 4300 digits. Invariants (abort, both
 * verdicts printed):
 *  - grammar: OK exactly when Python accepts; INVALID and TRAILING only
 *    when Python refuses;
 *  - depth: TOO_DEEP for a text Python accepts only when it nests deeper
 *    than FUZZ_DEPTH; a text Python accepts that nests deeper is TOO_DEEP.
 *    A refused deep text is not compared (ours says TOO_DEEP first, by
 *    design; Python its own error), nor one that Python cannot read for
 *    its RecursionError;
 *  - lone surrogates: with the flag, a text the grammar accepts is
 *    LONE_SURROGATE exactly when Python's decoded strings (names included)
 *    hold a code point D800-DFFF, which only a lone surrogate escape makes
 *    (strict UTF-8 has none, Python joins the pairs); a refused one stays
 *    refused (INVALID, TRAILING or LONE_SURROGATE, whichever comes first);
 *    the flag changes no TOO_DEEP verdict.
 * No NUL or invalid UTF-8 is skipped: s3_json_check's verdict covers them.
 *
 * Python's interpreter is started once (LLVMFuzzerInitialize), isolated
 * (no environment, no site, no user directory, no signal handlers: SIGINT
 * and the timeouts are libFuzzer's), with its malloc allocator so that
 * LeakSanitizer sees through its objects, and never finalized; what stays
 * allocated inside libpython at exit is suppressed for leak checks, and
 * nothing else (__lsan_default_suppressions below). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "fuzz_util.h"
#include "json.h"

#define FUZZ_DEPTH 32           /* S3_REQ_MAX_DEPTH, the request decoder's */

#ifndef FUZZ_PY_HOME
#define FUZZ_PY_HOME "/usr"     /* fuzz.mk passes python3-config --prefix */
#endif

/* verdict(b) -> (status, depth, lone): status 1 accepted, 0 refused, -1
 * not comparable (RecursionError); depth the nesting of [ and {; lone 1
 * when a decoded string holds a surrogate code point. */
static const char PY_VERDICT[] =
	"import json, re\n"
	"class _Obj(list):\n"
	"    pass\n"
	"def _const(name):\n"
	"    raise ValueError('constant ' + name)\n"
	"def _num(s):\n"
	"    return 0\n"
	"_dec = json.JSONDecoder(parse_constant=_const, parse_int=_num,\n"
	"                        parse_float=_num, object_pairs_hook=_Obj)\n"
	"_surr = re.compile('[\\ud800-\\udfff]')\n"
	"def verdict(b):\n"
	"    try:\n"
	"        s = b.decode('utf-8-sig')\n"
	"    except UnicodeDecodeError:\n"
	"        return (0, 0, 0)\n"
	"    try:\n"
	"        v = _dec.decode(s)\n"
	"    except RecursionError:\n"
	"        return (-1, 0, 0)\n"
	"    except ValueError:\n"
	"        return (0, 0, 0)\n"
	"    depth, lone, todo = 0, 0, [(v, 0)]\n"
	"    while todo:\n"
	"        o, d = todo.pop()\n"
	"        if isinstance(o, str):\n"
	"            lone = lone or _surr.search(o) is not None\n"
	"        elif isinstance(o, _Obj):\n"
	"            depth = max(depth, d + 1)\n"
	"            for k, x in o:\n"
	"                lone = lone or _surr.search(k) is not None\n"
	"                todo.append((x, d + 1))\n"
	"        elif isinstance(o, list):\n"
	"            depth = max(depth, d + 1)\n"
	"            todo.extend((x, d + 1) for x in o)\n"
	"    return (1, depth, int(lone))\n";

static PyObject *verdict_fn;

/* Leaks allocated inside libpython (its start-up, its caches) are not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpython3\n";
}

__attribute__((noreturn))
static void py_fail(const char *what)
{
	fprintf(stderr, "fuzz_json_strict: %s\n", what);
	if (PyErr_Occurred())
		PyErr_Print();
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	PyPreConfig pre;
	PyConfig config;
	PyStatus st;
	PyObject *mod, *dict, *r;

	(void)argc;
	(void)argv;
	PyPreConfig_InitIsolatedConfig(&pre);
	pre.allocator = PYMEM_ALLOCATOR_MALLOC;
	st = Py_PreInitialize(&pre);
	if (PyStatus_Exception(st))
		Py_ExitStatusException(st);
	PyConfig_InitIsolatedConfig(&config);
	config.site_import = 0;
	config.install_signal_handlers = 0;
	config.write_bytecode = 0;
	/* Debian's prefix, whatever python3 is first on PATH (a pyenv one) */
	st = PyConfig_SetBytesString(&config, &config.home, FUZZ_PY_HOME);
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		Py_ExitStatusException(st);
	mod = PyImport_AddModule("__main__");
	dict = mod ? PyModule_GetDict(mod) : NULL;
	if (!dict)
		py_fail("no __main__");
	r = PyRun_String(PY_VERDICT, Py_file_input, dict, dict);
	if (!r)
		py_fail("the verdict code does not run");
	Py_DECREF(r);
	verdict_fn = PyDict_GetItemString(dict, "verdict");
	if (!verdict_fn)
		py_fail("no verdict()");
	Py_INCREF(verdict_fn);
	return 0;
}

static const char *name(enum s3_json_result r)
{
	switch (r) {
	case S3_JSON_OK:             return "OK";
	case S3_JSON_INVALID:        return "INVALID";
	case S3_JSON_TRAILING:       return "TRAILING";
	case S3_JSON_TOO_DEEP:       return "TOO_DEEP";
	case S3_JSON_LONE_SURROGATE: return "LONE_SURROGATE";
	}
	return "?";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum s3_json_result g, s;
	PyObject *bytes, *res;
	long py, depth, lone;
	char *text = fuzz_dup_exact(data, size);

	g = s3_json_check(text, size, FUZZ_DEPTH, 0);
	s = s3_json_check(text, size, FUZZ_DEPTH, S3_JSON_NO_LONE_SURROGATES);
	free(text);
	CHECK((g == S3_JSON_TOO_DEEP) == (s == S3_JSON_TOO_DEEP),
	      "the flag changed a depth verdict: %s without, %s with", name(g), name(s));
	CHECK(g != S3_JSON_LONE_SURROGATE, "LONE_SURROGATE without the flag");

	bytes = PyBytes_FromStringAndSize((const char *)data, (Py_ssize_t)size);
	if (!bytes)
		py_fail("PyBytes_FromStringAndSize");
	res = PyObject_CallOneArg(verdict_fn, bytes);
	Py_DECREF(bytes);
	if (!res || !PyArg_ParseTuple(res, "lll", &py, &depth, &lone))
		py_fail("verdict() failed");
	Py_DECREF(res);
	if (py < 0)
		return 0;               /* Python's RecursionError */

	if (g == S3_JSON_TOO_DEEP) {
		CHECK(!py || depth > FUZZ_DEPTH,
		      "TOO_DEEP, but Python accepts it at depth %ld (limit %d)", depth, FUZZ_DEPTH);
		return 0;
	}
	CHECK(!py || depth <= FUZZ_DEPTH,
	      "Python accepts depth %ld (limit %d), ours says %s, not TOO_DEEP", depth,
	      FUZZ_DEPTH, name(g));
	CHECK((g == S3_JSON_OK) == (py == 1),
	      "verdicts differ: ours %s, Python's %s", name(g), py ? "valid" : "invalid");
	if (g == S3_JSON_OK)
		CHECK(s == (lone ? S3_JSON_LONE_SURROGATE : S3_JSON_OK),
		      "with the flag: %s, but Python's strings %s a lone surrogate", name(s),
		      lone ? "hold" : "hold no");
	else
		CHECK(s == S3_JSON_INVALID || s == S3_JSON_TRAILING ||
		      s == S3_JSON_LONE_SURROGATE,
		      "refused without the flag (%s), with it %s", name(g), name(s));
	return 0;
}
