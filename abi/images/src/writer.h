/*
 * writer.h: what every corpus writer shares. A writer fills one structure through the names of the
 * header pvabi generated for one ABI version, writes the structure's bytes to the file named by its
 * first argument, and prints every field it set as "dotted.path=value" (the path pvabi uses, array
 * elements indexed), so that the sidecar's expected values come from the compiler too.
 */
#ifndef CORPUS_WRITER_H
#define CORPUS_WRITER_H

#include <stdio.h>
#include <string.h>

#define ABI_AT_LEAST(maj, min) \
    (PVABI_ABI_VERSION_MAJOR > (maj) || (PVABI_ABI_VERSION_MAJOR == (maj) && PVABI_ABI_VERSION_MINOR >= (min)))

/* Print the C lvalue as written ("img->info.vcpu_info[i].time.version") as pvabi's dotted path, with
 * the loop index in place of [i]. */
static void print_path(const char *lvalue, long index)
{
    const char *p = strstr(lvalue, "->");
    for (p = p ? p + 2 : lvalue; *p; p++) {
        if (p[0] == '[' && p[1] == 'i' && p[2] == ']') {
            printf("[%ld]", index);
            p += 2;
        } else if (*p != ' ') {
            putchar(*p);
        }
    }
}

/* The value printed is read back from the member after the store, so it is what the member holds. */
#define SET(lvalue, i, v) \
    do { (lvalue) = (v); print_path(#lvalue, (i)); printf("=%llu\n", (unsigned long long)(lvalue)); } while (0)
#define SET_SIGNED(lvalue, i, v) \
    do { (lvalue) = (v); print_path(#lvalue, (i)); printf("=%lld\n", (long long)(lvalue)); } while (0)
#define COUNT(array) ((long)(sizeof(array) / sizeof((array)[0])))

static int write_image(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, size, 1, f) != 1 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

#endif
