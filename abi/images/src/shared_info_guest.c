/*
 * The guest's side of the shared-info page: everything the guest kernel writes (writer guest or
 * both), on the page the host zero-filled; the host's fields keep that zero.
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
        SET(img->info.vcpu_info[i].evtchn_upcall_pending, i, (i + 1) % 2);
        SET(img->info.vcpu_info[i].evtchn_upcall_mask, i, i % 3 == 0);
        SET(img->info.vcpu_info[i].evtchn_pending_sel, i, 0x0102030405060708ULL << (i % 5));
    }
    for (i = 0; i < COUNT(img->info.evtchn_pending); i++)
        SET(img->info.evtchn_pending[i], i, 0xfedcba9876543210ULL >> (i % 13));
    for (i = 0; i < COUNT(img->info.evtchn_mask); i++)
        SET(img->info.evtchn_mask[i], i, 0x0f0f0f0f0f0f0f0fULL + i);
    SET(img->info.arch.max_pfn, 0, 0x40000UL);
    SET(img->info.arch.pfn_to_mfn_frame_list_list, 0, 0x1234fUL);
#if ABI_AT_LEAST(1, 1)
    SET(img->info.arch.p2m_cr3, 0, 0x5a5a000UL);
    SET(img->info.arch.p2m_vaddr, 0, 0xc1000000UL);
    SET(img->info.arch.p2m_generation, 0, 42);
#endif
    return write_image(argv[1], img, sizeof(*img));
}
