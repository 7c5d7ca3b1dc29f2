// Several equally wide GEMMs with one A as one (see ckernels.h, ck_sgemm_segments): the columns of
// segment s are columns s·width ..< (s+1)·width of one wide product, whose B and C blocks are read
// and written where each segment lies. A narrow product (a 7×7 or 14×14 convolution output plane
// per image) then leaves the micro-kernel's panels partly empty only at the very end, without
// gathering the images' operands into one matrix and copying the products back out (only the
// column panels across a segment boundary are computed aside, then copied once).
#include "ckernels.h"
#include "sgemm_internal.h"

#include <stdlib.h>
#include <string.h>

// Global column g of a segmented matrix: segment g / width, column g % width, rows `stride` apart
// (`width` floats each) from the segment's start.
typedef struct {
    ptrdiff_t width, segment_stride;
} segments;

// Rows p0 ..< p0+kc, global columns j0 ..< j0+nc of segmented B in pack_b's NR-column panels.
static void pack_segments(const float *b, segments l, ptrdiff_t p0, ptrdiff_t kc, ptrdiff_t j0, ptrdiff_t nc, int nr,
                          float *restrict out) {
    for (ptrdiff_t jp = 0; jp < nc; jp += nr) {
        const int columns = (nc - jp) < nr ? (int)(nc - jp) : nr;
        int offset = 0;
        while (offset < columns) {
            const ptrdiff_t g = j0 + jp + offset, column = g % l.width;
            const int run = (columns - offset) < (l.width - column) ? columns - offset : (int)(l.width - column);
            const float *source = b + (g / l.width) * l.segment_stride + p0 * l.width + column;
            if (run == nr) {
                for (ptrdiff_t p = 0; p < kc; ++p) ck_copy_panel_row(out + p * nr, source + p * l.width, nr);
            } else {
                for (ptrdiff_t p = 0; p < kc; ++p) {
                    for (int j = 0; j < run; ++j) out[p * nr + offset + j] = source[p * l.width + j];
                }
            }
            offset += run;
        }
        for (ptrdiff_t p = 0; p < kc && columns < nr; ++p) {
            for (int j = columns; j < nr; ++j) out[p * nr + j] = 0;
        }
        out += kc * nr;
    }
}

// Copies rows row ..< row+rows, global columns g ..< g+columns of segmented C to `tile` (rows nr
// floats apart) or back (to_tile == 0). Copying back with an addend (laid out as C, from c_base:
// a fused residual Add) writes tile + addend, clamped to `clamp` when it is not NULL — the last
// slice's epilogue, which the side panel's tiles did not apply.
static void move_tile(float *c, segments l, ptrdiff_t row, ptrdiff_t g, int rows, int columns, float *tile, int nr,
                      int to_tile, const float *addend, const float *clamp) {
    int offset = 0;
    while (offset < columns) {
        const ptrdiff_t column = (g + offset) % l.width;
        const int run = (columns - offset) < (l.width - column) ? columns - offset : (int)(l.width - column);
        float *start = c + ((g + offset) / l.width) * l.segment_stride + row * l.width + column;
        for (int r = 0; r < rows; ++r) {
            float *tile_row = tile + r * nr + offset, *c_row = start + r * l.width;
            if (to_tile) {
                memcpy(tile_row, c_row, sizeof(float) * (size_t)run);
            } else if (addend) {
                const float *add = addend + (c_row - c);
                for (int j = 0; j < run; ++j) {
                    float value = tile_row[j] + add[j];
                    if (clamp) {
                        value = value < clamp[0] ? clamp[0] : value;
                        value = value > clamp[1] ? clamp[1] : value;
                    }
                    c_row[j] = value;
                }
            } else {
                memcpy(c_row, tile_row, sizeof(float) * (size_t)run);
            }
        }
        offset += run;
    }
}

// One MC × NC block of segmented C, as ck_gemm_block does for a plain one (A read in place, a
// partial last row panel packed). A tile lying in one segment is written in place; the column
// panels across a segment boundary accumulate in `side` (panel slot[jr / nr], all m rows, nr
// wide) over every K slice and are copied out once at the end: same operations, same order.
static void block(const variant *v, const float *a, ptrdiff_t lda, ptrdiff_t ic, ptrdiff_t mc, ptrdiff_t pc,
                  ptrdiff_t kc, const float *packed_b, ptrdiff_t jc, ptrdiff_t nc, float *c, segments l, float *side,
                  const ptrdiff_t *slot, ptrdiff_t m, float *packed_a, epilogue e) {
    const int mr = v->mr, nr = v->nr;
    const ptrdiff_t full = mc / mr * mr;
    if (full < mc) ck_gemm_pack_a(a, lda, ic + full, mc - full, pc, kc, mr, packed_a);
    const ptrdiff_t sweep = ck_gemm_sweep_columns(kc, nr);  // row panels sweep B a part at a time
    for (ptrdiff_t jb = 0; jb < nc; jb += sweep) {
        const ptrdiff_t je = nc - jb < sweep ? nc : jb + sweep;
        for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
            const int rows = (mc - ir) < mr ? (int)(mc - ir) : mr;
            const int in_place = ir < full;
            const float *a_panel = in_place ? a + (ic + ir) * lda + pc : packed_a;
            const ptrdiff_t a_row = in_place ? lda : 1, a_k = in_place ? 1 : mr;
            for (ptrdiff_t jr = jb; jr < je; jr += nr) {
                const int columns = (nc - jr) < nr ? (int)(nc - jr) : nr;
                const ptrdiff_t g = jc + jr, column = g % l.width, panel = slot[jr / nr];
                if (panel < 0) {
                    float *target = c + (g / l.width) * l.segment_stride + (ic + ir) * l.width + column;
                    ck_gemm_tile(v, e, kc, a_panel, a_row, a_k, packed_b + jr * kc, target, l.width, ic + ir, rows,
                                 columns);
                } else {
                    // A side panel is not laid out as C: its addend and clamp wait for the copy out.
                    float *target = side + (panel * m + ic + ir) * nr;
                    const epilogue side_e = e.addend ? (epilogue){e.row_init, NULL, NULL, NULL} : e;
                    ck_gemm_tile(v, side_e, kc, a_panel, a_row, a_k, packed_b + jr * kc, target, nr, ic + ir, rows,
                                 columns);
                }
            }
        }
    }
}

void ck_sgemm_segments(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, ptrdiff_t count, ptrdiff_t width,
                       const float *b, ptrdiff_t b_stride, float *c, ptrdiff_t c_stride, const float *row_init,
                       const float *clamp, const float *addend) {
    const ptrdiff_t n = count * width;
    if (m <= 0 || n <= 0 || k <= 0) return;
    const variant *v = ck_gemm_current();
    const int nr = v->nr;
    const ptrdiff_t ncMax = n < NC ? ck_round_up(n, nr) : NC;
    const ptrdiff_t kcMax = ck_gemm_slice_depth(k);
    const ptrdiff_t mcMax = m < MC ? ck_round_up(m, v->mr) : MC;
    float *packed_b = ck_gemm_reserve_b((size_t)(ncMax * kcMax));
    float *packed_a = ck_gemm_reserve_a((size_t)(mcMax * kcMax));
    // Slots of the column panels across a segment boundary: at most one per segment boundary.
    const ptrdiff_t panels = ncMax / nr, boundaries = count < panels ? count : panels;
    ptrdiff_t *slot = malloc(sizeof(ptrdiff_t) * (size_t)panels);
    float *side = malloc(sizeof(float) * (size_t)(boundaries * m * nr));
    if (!packed_a || !packed_b || !slot || !side) abort();  // nothing sensible left
    const segments lb = {width, b_stride}, lc = {width, c_stride};
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {
        const ptrdiff_t nc = (n - jc) < NC ? (n - jc) : NC;
        ptrdiff_t used = 0;
        for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
            const ptrdiff_t columns = (nc - jr) < nr ? (nc - jr) : nr;
            slot[jr / nr] = (jc + jr) % width + columns <= width ? -1 : used++;
            // Without a row start C accumulates: the side panels start from C's contents.
            if (slot[jr / nr] >= 0 && !row_init) {
                move_tile(c, lc, 0, jc + jr, (int)m, (int)columns, side + slot[jr / nr] * m * nr, nr, 1, NULL, NULL);
            }
        }
        for (ptrdiff_t pc = 0; pc < k; pc += kcMax) {
            const ptrdiff_t kc = (k - pc) < kcMax ? (k - pc) : kcMax;
            pack_segments(b, lb, pc, kc, jc, nc, nr, packed_b);
            for (ptrdiff_t ic = 0; ic < m; ic += MC) {
                const ptrdiff_t mc = (m - ic) < MC ? (m - ic) : MC;
                block(v, a, lda, ic, mc, pc, kc, packed_b, jc, nc, c, lc, side, slot, m, packed_a,
                      ck_gemm_slice_epilogue((epilogue){row_init, clamp, addend, c}, pc, kc, k));
            }
        }
        for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
            const ptrdiff_t columns = (nc - jr) < nr ? (nc - jr) : nr;
            if (slot[jr / nr] >= 0) {
                move_tile(c, lc, 0, jc + jr, (int)m, (int)columns, side + slot[jr / nr] * m * nr, nr, 0, addend, clamp);
            }
        }
    }
    free(side);
    free(slot);
}
