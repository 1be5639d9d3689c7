# fuzz/local.mk -- included by Makefile.am: the fuzz targets, their replay
# programs (make check) and the libFuzzer binaries (configure --enable-fuzzing).
#
# Each target fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput.  It is linked
#  - with fuzz/replay.c into fuzz/replay_<name> (check_PROGRAMS, any compiler),
#    which tests/check_fuzz_replay.sh runs on fuzz/corpus/<name>/;
#  - with libFuzzer into fuzz/fuzz_<name> when configured with
#    --enable-fuzzing (clang); `make fuzz` runs them (fuzz/run-all.sh).

FUZZ_CPP_FLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/oracle -I$(top_srcdir)/fuzz
FUZZ_LIBS = libtruepoint.la tests/oracle/liboracle.la $(MPFR_LIBS)
FUZZ_COMMON = fuzz/fuzz_common.c fuzz/fuzz_common.h
# The CLI target runs the tool in-process: its sources (whatever
# truepoint_SOURCES lists) are compiled once more with main renamed.
noinst_LTLIBRARIES += fuzz/libfuzzcli.la
fuzz_libfuzzcli_la_SOURCES = $(truepoint_SOURCES)
fuzz_libfuzzcli_la_CPPFLAGS = $(truepoint_CPPFLAGS) -Dmain=tp_cli_main
# main() has no prototype, and renamed it must not need one.
fuzz_libfuzzcli_la_CFLAGS = $(AM_CFLAGS) -Wno-missing-prototypes
FUZZ_CLI_LIBS = fuzz/libfuzzcli.la $(truepoint_LDADD)

check_PROGRAMS += fuzz/replay_codec fuzz/replay_block fuzz/replay_acc fuzz/replay_acc_serial \
	fuzz/replay_dot fuzz/replay_gemm fuzz/replay_cli
TESTS += tests/check_fuzz_replay.sh
EXTRA_DIST += fuzz/corpus fuzz/README.md fuzz/run-all.sh \
	tests/check_fuzz_replay.sh

fuzz_replay_codec_SOURCES = fuzz/fuzz_codec.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_codec_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_codec_LDADD = $(FUZZ_LIBS)
fuzz_replay_block_SOURCES = fuzz/fuzz_block.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_block_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_block_LDADD = $(FUZZ_LIBS)
fuzz_replay_acc_SOURCES = fuzz/fuzz_acc.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_acc_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_acc_LDADD = $(FUZZ_LIBS)
fuzz_replay_acc_serial_SOURCES = fuzz/fuzz_acc_serial.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_acc_serial_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_acc_serial_LDADD = $(FUZZ_LIBS)
fuzz_replay_dot_SOURCES = fuzz/fuzz_dot.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_dot_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_dot_LDADD = $(FUZZ_LIBS)
fuzz_replay_gemm_SOURCES = fuzz/fuzz_gemm.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_gemm_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_gemm_LDADD = $(FUZZ_LIBS)
fuzz_replay_cli_SOURCES = fuzz/fuzz_cli.c fuzz/replay.c $(FUZZ_COMMON)
fuzz_replay_cli_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_replay_cli_LDADD = $(FUZZ_CLI_LIBS)

# `make fuzz` knobs: seconds per target, parallel workers (libFuzzer -fork),
# and the targets to run.
FUZZ_SECONDS = 60
FUZZ_JOBS = 1
FUZZ_TARGETS = codec block acc acc_serial dot gemm cli

noinst_PROGRAMS =
if TP_FUZZING
# Coverage instrumentation for everything (the library included), so that
# libFuzzer sees the branches of the code under test, not only the harness.
AM_CFLAGS += -fsanitize=fuzzer-no-link
FUZZ_LINK_FLAGS = $(TP_FUZZ_CFLAGS) -no-install
noinst_PROGRAMS += fuzz/fuzz_codec fuzz/fuzz_block fuzz/fuzz_acc fuzz/fuzz_acc_serial \
	fuzz/fuzz_dot fuzz/fuzz_gemm fuzz/fuzz_cli
fuzz_fuzz_codec_SOURCES = fuzz/fuzz_codec.c $(FUZZ_COMMON)
fuzz_fuzz_codec_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_codec_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_codec_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_codec_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_block_SOURCES = fuzz/fuzz_block.c $(FUZZ_COMMON)
fuzz_fuzz_block_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_block_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_block_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_block_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_acc_SOURCES = fuzz/fuzz_acc.c $(FUZZ_COMMON)
fuzz_fuzz_acc_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_acc_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_acc_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_acc_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_acc_serial_SOURCES = fuzz/fuzz_acc_serial.c $(FUZZ_COMMON)
fuzz_fuzz_acc_serial_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_acc_serial_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_acc_serial_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_acc_serial_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_dot_SOURCES = fuzz/fuzz_dot.c $(FUZZ_COMMON)
fuzz_fuzz_dot_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_dot_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_dot_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_dot_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_gemm_SOURCES = fuzz/fuzz_gemm.c $(FUZZ_COMMON)
fuzz_fuzz_gemm_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_gemm_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_gemm_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_gemm_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_cli_SOURCES = fuzz/fuzz_cli.c $(FUZZ_COMMON)
fuzz_fuzz_cli_CPPFLAGS = $(FUZZ_CPP_FLAGS)
fuzz_fuzz_cli_CFLAGS = $(AM_CFLAGS) $(TP_FUZZ_CFLAGS)
fuzz_fuzz_cli_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_fuzz_cli_LDADD = $(FUZZ_CLI_LIBS)

fuzz: $(noinst_PROGRAMS)
	FUZZ_JOBS='$(FUZZ_JOBS)' $(SHELL) $(top_srcdir)/fuzz/run-all.sh $(top_builddir) \
	  $(FUZZ_SECONDS) $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing CC=clang to build the fuzzers" >&2; exit 1
endif
.PHONY: fuzz
