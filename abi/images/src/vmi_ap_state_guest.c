/*
 * A secondary processor's initial state, as the guest fills it in for the VMI SetInitialAPState
 * call (every member is the guest's).
 */
#include "vmi_rom.h"
#include "writer.h"

static struct vmi_ap_state state;

int main(int argc, char **argv)
{
    struct vmi_ap_state *img = &state;

    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
        return 2;
    }
    memset(img, 0, sizeof(*img));
    SET(img->cr0, 0, 0x80050033UL);
    SET(img->cr2, 0, 0);
    SET(img->cr3, 0, 0x01a2b000UL);
    SET(img->cr4, 0, 0x000006f0UL);
    SET(img->efer, 0, 0x0000000000000d01ULL);
    SET(img->eip, 0, 0xc0100000UL);
    SET(img->eflags, 0, 0x00000002UL);
    SET(img->eax, 0, 0x11111111UL);
    SET(img->ebx, 0, 0x22222222UL);
    SET(img->ecx, 0, 0x33333333UL);
    SET(img->edx, 0, 0x44444444UL);
    SET(img->esp, 0, 0xc1800000UL);
    SET(img->ebp, 0, 0x55555555UL);
    SET(img->esi, 0, 0x66666666UL);
    SET(img->edi, 0, 0x77777777UL);
    SET(img->cs, 0, 0x60);
    SET(img->ss, 0, 0x68);
    SET(img->ds, 0, 0x7b);
    SET(img->es, 0, 0x7b);
    SET(img->fs, 0, 0xd8);
    SET(img->gs, 0, 0xe0);
    SET(img->ldtr, 0, 0);
    SET(img->gdtr_limit, 0, 0xff);
    SET(img->gdtr_base, 0, 0xc1234000UL);
    SET(img->idtr_base, 0, 0xc1235000UL);
    SET(img->idtr_limit, 0, 0x7ff);
    return write_image(argv[1], img, sizeof(*img));
}
