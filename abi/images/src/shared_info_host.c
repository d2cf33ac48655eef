/*
 * The host's side of the shared-info page: everything the hypervisor writes (writer host or both),
 * on a page it zero-filled when it allocated it; the guest's fields keep that zero.
 */
#include "shared_info.h"
#include "writer.h"

static struct shared_info_page page;

int main(int argc, char **argv)
{
    struct shared_info_page *img = &page;
    long i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
        return 2;
    }
    memset(img, 0, sizeof(*img));
    for (i = 0; i < COUNT(img->info.vcpu_info); i++) {
        SET(img->info.vcpu_info[i].evtchn_upcall_pending, i, i % 2);
        SET(img->info.vcpu_info[i].evtchn_pending_sel, i, 0x8000000000000001ULL >> (i % 7));
        SET(img->info.vcpu_info[i].arch.cr2, i, 0xc0de0000UL + 0x40 * i);
        SET(img->info.vcpu_info[i].time.version, i, 2 * i + 2);
        SET(img->info.vcpu_info[i].time.tsc_timestamp, i, 0x0123456789abcdefULL + 0x1000 * i);
        SET(img->info.vcpu_info[i].time.system_time, i, 1000000000ULL * (i + 1) + 17);
        SET(img->info.vcpu_info[i].time.tsc_to_system_mul, i, 0x80000000UL + i);
        SET_SIGNED(img->info.vcpu_info[i].time.tsc_shift, i, -1 - (i % 3));
#if ABI_AT_LEAST(1, 2)
#ifdef PVCLOCK_GUEST_STOPPED_BIT
        SET(img->info.vcpu_info[i].time.flags, i, PVCLOCK_TSC_STABLE_BIT | (i % 2 ? PVCLOCK_GUEST_STOPPED_BIT : 0));
#else
        SET(img->info.vcpu_info[i].time.flags, i, PVCLOCK_TSC_STABLE_BIT);
#endif
#endif
    }
    for (i = 0; i < COUNT(img->info.evtchn_pending); i++)
        SET(img->info.evtchn_pending[i], i, 0x1111111111111111ULL * ((i % 15) + 1));
    for (i = 0; i < COUNT(img->info.evtchn_mask); i++)
        SET(img->info.evtchn_mask[i], i, ~0ULL << (i % 9));
    SET(img->info.wc_version, 0, 6);
    SET(img->info.wc_sec, 0, 1764720000UL);
    SET(img->info.wc_nsec, 0, 123456789UL);
#if ABI_AT_LEAST(1, 1)
#if defined(PVABI_ARCH_X86_32)
    SET(img->info.arch.wc_sec_hi, 0, 1);
#else
    SET(img->info.wc_sec_hi, 0, 1);
#endif
#endif
    SET(img->info.arch.nmi_reason, 0, 0x3);
    return write_image(argv[1], img, sizeof(*img));
}
