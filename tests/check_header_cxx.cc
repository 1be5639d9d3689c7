// check_header_cxx.cc -- include/truepoint.h compiled as C++, linked against
// the C library: proves the extern "C" guards and the header's C++ validity.
#include "truepoint.h"

#include <cstdio>
#include <cstring>

int main()
{
    int failed = 0;

    const char *v = tp_version_string();
    if (v == nullptr || std::strcmp(v, TP_VERSION_STRING) != 0)
        failed |= 1;

    const tp_format_desc *d = tp_format_get(TP_E4M3);
    if (d == nullptr || d->name == nullptr || std::strcmp(d->name, "e4m3") != 0)
        failed |= 2;

    // 1.5 is exact in E4M3: 0 0111 100 = 0x3C.
    uint64_t code = 0;
    unsigned flags = 0;
    if (d == nullptr || tp_encode1(d, 1.5, TP_RNE, TP_OVF_DEFAULT, 0, &code, &flags) != TP_OK ||
        code != 0x3C || flags != 0)
        failed |= 4;

    tp_format f = TP_F64;
    if (tp_format_from_name("e2m1", &f) != TP_OK || f != TP_E2M1)
        failed |= 8;

    if (failed)
        std::printf("check_header_cxx: FAIL (mask 0x%x), library %s\n", failed, v ? v : "(null)");
    else
        std::printf("check_header_cxx: truepoint.h compiles as C++ and links (library %s)\n", v);
    return failed ? 1 : 0;
}
