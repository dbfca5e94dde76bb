/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replays every file of a corpus directory (or the files given) through
 * LLVMFuzzerTestOneInput, so the fuzz suite runs without clang's libFuzzer.
 * A crash fails the test; the file name is printed first so it can be found. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return -1;
        }
        if (fseek(f, 0, SEEK_END) < 0) {
                fclose(f);
                return -1;
        }
        long len = ftell(f);
        rewind(f);
        uint8_t *buf = malloc(len > 0 ? (size_t) len : 1);
        if (!buf || (len > 0 && fread(buf, 1, (size_t) len, f) != (size_t) len)) {
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        fprintf(stderr, "replay %s (%ld bytes)\n", path, len);
        LLVMFuzzerTestOneInput(buf, (size_t) len);
        free(buf);
        return 0;
}

int main(int argc, char **argv) {
        unsigned n = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return 1;
                        n++;
                        continue;
                }
                struct dirent **ents;
                int m = scandir(argv[i], &ents, NULL, alphasort);
                if (m < 0) {
                        perror(argv[i]);
                        return 1;
                }
                for (int j = 0; j < m; j++) {
                        char p[4096];
                        if (ents[j]->d_name[0] != '.') {
                                snprintf(p, sizeof p, "%s/%s", argv[i], ents[j]->d_name);
                                if (replay_file(p) < 0)
                                        return 1;
                                n++;
                        }
                        free(ents[j]);
                }
                free(ents);
        }
        if (n == 0) {
                fprintf(stderr, "no corpus inputs found\n");
                return 1;
        }
        printf("%u inputs replayed without a crash\n", n);
        return 0;
}
