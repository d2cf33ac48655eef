/*
 * The VMI ROM header as the hypervisor exposes it (every member is the host's): option-ROM and VMI
 * signatures, API 3.0, and distinctive values everywhere else; reserved bytes stay zero.
 */
#include "vmi_rom.h"
#include "writer.h"

static struct vrom_header rom;

int main(int argc, char **argv)
{
    struct vrom_header *img = &rom;
    long i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
        return 2;
    }
    memset(img, 0, sizeof(*img));
    SET(img->rom_signature, 0, VROM_HEADER_ROM_SIGNATURE);
    SET(img->rom_length, 0, 0x20);
    for (i = 0; i < COUNT(img->rom_entry); i++)
        SET(img->rom_entry[i], i, 0xe9 + i);
    SET(img->vrom_signature, 0, VROM_HEADER_VROM_SIGNATURE);
    SET(img->api_version_min, 0, 0);
    SET(img->api_version_maj, 0, VROM_HEADER_API_VERSION_MAJ);
    SET(img->jump_slots, 0, 74);
    SET(img->virtual_top, 0, 0xfc000000UL);
    SET(img->license_offs, 0, 0x0100);
    SET(img->pci_header_offs, 0, 0x0090);
    SET(img->pnp_header_offs, 0, 0x00a8);
    for (i = 0; i < COUNT(img->vmi_init); i++)
        SET(img->vmi_init[i], i, 0x90 + i);
    for (i = 0; i < COUNT(img->get_reloc); i++)
        SET(img->get_reloc[i], i, 0xb0 + i);
    return write_image(argv[1], img, sizeof(*img));
}
