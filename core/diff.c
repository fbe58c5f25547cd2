/* Line diffs with Myers' O(ND) algorithm in its linear-space form (the
 * "middle snake" found from both ends, then each half alone), unified
 * output as diff -u prints it, and schema diffs between two snapshots. */
#include "config.h"

#include "core/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"

/* ------------------------------------------------------------ lines */

typedef struct line_span {
    const char *text;
    size_t length;      /* without the newline */
    bool no_newline;    /* a final line without "\n" */
} line_span;

/* Lines end at "\n"; text after the last "\n" is a line of its own. */
static line_span *split_lines(const char *s, size_t len, size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    if (len > 0 && s[len - 1] != '\n')
        n++;
    line_span *lines = xcalloc(n ? n : 1, sizeof *lines);
    size_t start = 0, k = 0;
    while (start < len) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        lines[k].text = s + start;
        lines[k].length = end - start;
        lines[k].no_newline = nl == NULL;
        k++;
        start = end + 1;
    }
    *count = n;
    return lines;
}

static bool line_equal(const line_span *a, const line_span *b)
{
    return a->length == b->length && a->no_newline == b->no_newline &&
           memcmp(a->text, b->text, a->length) == 0;
}

/* Equal lines get one class number, so that the search compares numbers. */
typedef struct line_classes {
    const line_span **slots;  /* open addressing; NULL is free */
    size_t *slot_class;
    size_t cap;               /* a power of two */
    size_t count;
} line_classes;

static size_t line_hash(const line_span *l)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < l->length; i++) {
        h ^= (unsigned char)l->text[i];
        h *= 1099511628211u;
    }
    h ^= l->no_newline;
    h *= 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

static size_t line_class(line_classes *t, const line_span *l)
{
    size_t i = line_hash(l) & (t->cap - 1);
    while (t->slots[i]) {
        if (line_equal(t->slots[i], l))
            return t->slot_class[i];
        i = (i + 1) & (t->cap - 1);
    }
    t->slots[i] = l;
    t->slot_class[i] = t->count;
    return t->count++;
}

/* ------------------------------------------------------------ search */

/* The two sequences of class numbers under comparison and the marks the
 * search leaves on them; `forward` and `backward` hold the furthest x
 * reached on each diagonal k (at index k + offset). */
typedef struct myers {
    const size_t *a, *b;
    bool *removed, *added;
    ptrdiff_t *forward, *backward;
    ptrdiff_t offset;
} myers;

/* A subproblem: a[a0 .. a0+n) against b[b0 .. b0+m), coordinates local. */
typedef struct region {
    ptrdiff_t a0, b0, n, m;
} region;

typedef struct snake {
    ptrdiff_t x0, y0, x1, y1;
} snake;

static bool region_same(const myers *s, const region *r, ptrdiff_t x, ptrdiff_t y)
{
    return s->a[r->a0 + x] == s->b[r->b0 + y];
}

/* Paths may run off the grid on diagonals that lead nowhere (x > n or
 * y > m forward, below 0 backward); such points never count as overlaps:
 * at the shortest D an overlap inside the grid always exists. */
static bool forward_round(const myers *s, const region *r, ptrdiff_t d, snake *out)
{
    ptrdiff_t *vf = s->forward + s->offset, *vb = s->backward + s->offset;
    ptrdiff_t delta = r->n - r->m;
    for (ptrdiff_t k = -d; k <= d; k += 2) {
        ptrdiff_t x = k == -d || (k != d && vf[k - 1] < vf[k + 1]) ? vf[k + 1] : vf[k - 1] + 1;
        ptrdiff_t y = x - k, x0 = x, y0 = y;
        while (x < r->n && y < r->m && region_same(s, r, x, y)) {
            x++;
            y++;
        }
        vf[k] = x;
        if (delta % 2 != 0 && k >= delta - (d - 1) && k <= delta + (d - 1) && x <= r->n &&
            y <= r->m && vb[k] >= 0 && vb[k] - k >= 0 && vb[k] <= x) {
            *out = (snake){x0, y0, x, y};
            return true;
        }
    }
    return false;
}

static bool backward_round(const myers *s, const region *r, ptrdiff_t d, snake *out)
{
    ptrdiff_t *vf = s->forward + s->offset, *vb = s->backward + s->offset;
    ptrdiff_t delta = r->n - r->m;
    for (ptrdiff_t k = -d; k <= d; k += 2) {
        ptrdiff_t kk = k + delta;
        ptrdiff_t x = k != -d && (k == d || vb[kk - 1] < vb[kk + 1] - 1) ? vb[kk - 1]
                                                                         : vb[kk + 1] - 1;
        ptrdiff_t y = x - kk, x1 = x, y1 = y;
        while (x > 0 && y > 0 && region_same(s, r, x - 1, y - 1)) {
            x--;
            y--;
        }
        vb[kk] = x;
        if (delta % 2 == 0 && kk >= -d && kk <= d && x >= 0 && y >= 0 && vf[kk] <= r->n &&
            vf[kk] - kk <= r->m && vf[kk] >= x) {
            *out = (snake){x, y, x1, y1};
            return true;
        }
    }
    return false;
}

/* The middle snake of a shortest edit script of the region. */
static bool middle_snake(const myers *s, const region *r, snake *out)
{
    ptrdiff_t *vf = s->forward + s->offset, *vb = s->backward + s->offset;
    vf[1] = 0;
    vb[r->n - r->m + 1] = r->n + 1;
    for (ptrdiff_t d = 0; d <= (r->n + r->m + 1) / 2; d++)
        if (forward_round(s, r, d, out) || backward_round(s, r, d, out))
            return true;
    return false;
}

static void mark_all(myers *s, const region *r)
{
    for (ptrdiff_t x = 0; x < r->n; x++)
        s->removed[r->a0 + x] = true;
    for (ptrdiff_t y = 0; y < r->m; y++)
        s->added[r->b0 + y] = true;
}

/* Divide and conquer: each half of a middle snake holds about half the
 * edits, so the recursion is O(log D) deep and the arrays are reused. */
static void myers_compare(myers *s, region r)
{
    while (r.n > 0 && r.m > 0 && s->a[r.a0] == s->b[r.b0]) {
        r.a0++;
        r.b0++;
        r.n--;
        r.m--;
    }
    while (r.n > 0 && r.m > 0 && s->a[r.a0 + r.n - 1] == s->b[r.b0 + r.m - 1]) {
        r.n--;
        r.m--;
    }
    snake mid;
    /* A middle snake always exists (Myers' lemma 3); marking the region
     * changed is only a fallback that still yields a valid script. */
    if (r.n == 0 || r.m == 0 || !middle_snake(s, &r, &mid)) {
        mark_all(s, &r);
        return;
    }
    myers_compare(s, (region){r.a0, r.b0, mid.x0, mid.y0});
    myers_compare(s, (region){r.a0 + mid.x1, r.b0 + mid.y1, r.n - mid.x1, r.m - mid.y1});
}

/* ------------------------------------------------------------ text diff */

/* One text after the common prefix and suffix: lines [from, to). Lines
 * that occur on one side only are changes in every script, so only the
 * others go to the search (a shortest script stays shortest). */
typedef struct side {
    const line_span *lines;
    size_t from, to;
    bool *changed;    /* by line: removed (old side) or added (new side) */
    size_t *classes;  /* by line from `from` */
    bool *present;    /* by class: this side has such a line */
    size_t *kept;     /* the classes of the lines kept for the search */
    size_t *kept_at;  /* and their line numbers */
    size_t kept_count;
} side;

static void side_classify(side *s, line_classes *t, size_t classes_max)
{
    s->classes = xcalloc(s->to - s->from + 1, sizeof *s->classes);
    s->present = xcalloc(classes_max + 1, sizeof *s->present);
    for (size_t i = s->from; i < s->to; i++)
        s->present[s->classes[i - s->from] = line_class(t, &s->lines[i])] = true;
}

static void side_keep(side *s, const side *other)
{
    s->kept = xcalloc(s->to - s->from + 1, sizeof *s->kept);
    s->kept_at = xcalloc(s->to - s->from + 1, sizeof *s->kept_at);
    for (size_t i = s->from; i < s->to; i++) {
        size_t c = s->classes[i - s->from];
        if (!other->present[c]) {
            s->changed[i] = true;
            continue;
        }
        s->kept[s->kept_count] = c;
        s->kept_at[s->kept_count++] = i;
    }
}

static void side_free(side *s)
{
    free(s->classes);
    free(s->present);
    free(s->kept);
    free(s->kept_at);
}

/* Mark the lines of a shortest script in a->changed and b->changed. */
static void mark_changes(side *a, side *b)
{
    size_t total = (a->to - a->from) + (b->to - b->from);
    line_classes t = {.cap = 16};
    while (t.cap < 2 * total)
        t.cap *= 2;
    t.slots = xcalloc(t.cap, sizeof *t.slots);
    t.slot_class = xcalloc(t.cap, sizeof *t.slot_class);
    side_classify(a, &t, total);
    side_classify(b, &t, total);
    side_keep(a, b);
    side_keep(b, a);
    size_t kept = a->kept_count + b->kept_count;
    myers s = {
        .a = a->kept,
        .b = b->kept,
        .removed = xcalloc(a->kept_count + 1, sizeof(bool)),
        .added = xcalloc(b->kept_count + 1, sizeof(bool)),
        .offset = (ptrdiff_t)(kept + (kept + 1) / 2 + 2),
    };
    s.forward = xcalloc(2 * (size_t)s.offset + 1, sizeof *s.forward);
    s.backward = xcalloc(2 * (size_t)s.offset + 1, sizeof *s.backward);
    myers_compare(&s, (region){0, 0, (ptrdiff_t)a->kept_count, (ptrdiff_t)b->kept_count});
    for (size_t i = 0; i < a->kept_count; i++)
        a->changed[a->kept_at[i]] = s.removed[i];
    for (size_t j = 0; j < b->kept_count; j++)
        b->changed[b->kept_at[j]] = s.added[j];
    free(s.removed);
    free(s.added);
    free(s.forward);
    free(s.backward);
    free(t.slots);
    free(t.slot_class);
    side_free(a);
    side_free(b);
}

static void push_line(text_diff *d, diff_op op, const line_span *l, size_t old_line,
                      size_t new_line)
{
    d->lines[d->count++] = (diff_line){
        .op = op,
        .text = l->text,
        .length = l->length,
        .old_line = old_line,
        .new_line = new_line,
        .no_newline = l->no_newline,
    };
}

/* The script from the marks: in each change, removed lines come first. */
static void build_script(text_diff *d, const line_span *la, size_t n, const bool *removed,
                         const line_span *lb, size_t m, const bool *added)
{
    for (size_t i = 0; i < n; i++)
        d->removed += removed[i];
    for (size_t j = 0; j < m; j++)
        d->added += added[j];
    d->lines = xcalloc(n + d->added + 1, sizeof *d->lines);
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && removed[i]) {
            push_line(d, DIFF_REMOVED, &la[i], i + 1, 0);
            i++;
        } else if (j < m && added[j]) {
            push_line(d, DIFF_ADDED, &lb[j], 0, j + 1);
            j++;
        } else {
            push_line(d, DIFF_SAME, &la[i], i + 1, j + 1);
            i++;
            j++;
        }
    }
}

sw_status text_diff_compute(const char *a, size_t alen, const char *b, size_t blen,
                            text_diff *out, sw_error *err)
{
    (void)err; /* nothing can fail: allocation failure aborts */
    memset(out, 0, sizeof *out);
    size_t n, m;
    line_span *la = split_lines(a, alen, &n);
    line_span *lb = split_lines(b, blen, &m);
    size_t head = 0, tail = 0;
    while (head < n && head < m && line_equal(&la[head], &lb[head]))
        head++;
    while (tail < n - head && tail < m - head &&
           line_equal(&la[n - 1 - tail], &lb[m - 1 - tail]))
        tail++;
    bool *removed = xcalloc(n + 1, sizeof *removed);
    bool *added = xcalloc(m + 1, sizeof *added);
    if (head + tail < n || head + tail < m) {
        side old = {.lines = la, .from = head, .to = n - tail, .changed = removed};
        side new = {.lines = lb, .from = head, .to = m - tail, .changed = added};
        mark_changes(&old, &new);
    }
    build_script(out, la, n, removed, lb, m, added);
    free(removed);
    free(added);
    free(la);
    free(lb);
    return SW_OK;
}

void text_diff_free(text_diff *d)
{
    if (!d)
        return;
    free(d->lines);
    memset(d, 0, sizeof *d);
}

/* ------------------------------------------------------------ unified */

static size_t next_change(const text_diff *d, size_t from)
{
    while (from < d->count && d->lines[from].op == DIFF_SAME)
        from++;
    return from;
}

/* The last change of the hunk that starts with the change at `first`:
 * changes at most 2 * context unchanged lines apart share a hunk. */
static size_t hunk_last_change(const text_diff *d, size_t first, size_t context)
{
    size_t last = first;
    for (;;) {
        size_t same = last + 1;
        while (same < d->count && d->lines[same].op != DIFF_SAME)
            same++;
        size_t next = next_change(d, same);
        if (next == d->count || next - same > 2 * context)
            return same - 1;
        last = next;
    }
}

/* "-l,n" as diff -u writes it: ",1" left out, an empty range named by the
 * line before it. */
static void append_range(strbuf *sb, char sign, size_t before, size_t count)
{
    if (count == 1)
        strbuf_appendf(sb, "%c%zu", sign, before + 1);
    else
        strbuf_appendf(sb, "%c%zu,%zu", sign, count ? before + 1 : before, count);
}

/* Lines of one side in script entries [start, end): those not `other`. */
static size_t hunk_count(const text_diff *d, size_t start, size_t end, diff_op other)
{
    size_t count = 0;
    for (size_t i = start; i < end; i++)
        count += d->lines[i].op != other;
    return count;
}

static void append_hunk(strbuf *sb, const text_diff *d, size_t start, size_t end,
                        size_t old_before, size_t new_before)
{
    size_t old_count = hunk_count(d, start, end, DIFF_ADDED);
    size_t new_count = hunk_count(d, start, end, DIFF_REMOVED);
    strbuf_append(sb, "@@ ");
    append_range(sb, '-', old_before, old_count);
    strbuf_append_char(sb, ' ');
    append_range(sb, '+', new_before, new_count);
    strbuf_append(sb, " @@\n");
    for (size_t i = start; i < end; i++) {
        const diff_line *l = &d->lines[i];
        strbuf_append_char(sb, l->op == DIFF_SAME ? ' ' : l->op == DIFF_REMOVED ? '-' : '+');
        strbuf_append_len(sb, l->text, l->length);
        strbuf_append_char(sb, '\n');
        if (l->no_newline)
            strbuf_append(sb, "\\ No newline at end of file\n");
    }
}

char *text_diff_unified(const text_diff *d, const char *old_label, const char *new_label,
                        int context)
{
    if (!d || d->added + d->removed == 0)
        return xstrdup("");
    size_t ctx = context > 0 ? (size_t)context : 0;
    strbuf sb = {0};
    strbuf_appendf(&sb, "--- %s\n+++ %s\n", old_label ? old_label : "",
                   new_label ? new_label : "");
    size_t walked = 0, old_seen = 0, new_seen = 0; /* lines before `walked` */
    for (size_t first = next_change(d, 0); first < d->count; first = next_change(d, walked)) {
        size_t start = first > ctx ? first - ctx : 0;
        size_t last = hunk_last_change(d, first, ctx);
        size_t end = d->count - last - 1 > ctx ? last + 1 + ctx : d->count;
        old_seen += hunk_count(d, walked, start, DIFF_ADDED);
        new_seen += hunk_count(d, walked, start, DIFF_REMOVED);
        append_hunk(&sb, d, start, end, old_seen, new_seen);
        walked = end;
        old_seen += hunk_count(d, start, end, DIFF_ADDED);
        new_seen += hunk_count(d, start, end, DIFF_REMOVED);
    }
    return strbuf_detach(&sb);
}

/* ------------------------------------------------------------ schema diff */

static size_t snapshot_count(const schema_snapshot *s)
{
    return s ? s->count : 0;
}

/* The merge walk needs both in snapshot order, each object once. */
static sw_status check_order(const schema_snapshot *s, const char *which, sw_error *err)
{
    for (size_t i = 1; i < snapshot_count(s); i++) {
        const schema_object *o = &s->objects[i];
        if (schema_object_compare(&s->objects[i - 1], o) >= 0)
            return sw_error_set(err, SW_FAILED,
                                "the %s snapshot is not in snapshot order at %s %s "
                                "(object %zu): sort it with schema_object_compare",
                                which, o->kind, o->name, i + 1);
    }
    return SW_OK;
}

static const char *object_text(const schema_object *o)
{
    return o->text ? o->text : "";
}

static schema_change *add_change(schema_diff *d, size_t *cap, schema_change_kind kind,
                                 const schema_object *before, const schema_object *after)
{
    d->changes = array_grow(d->changes, cap, d->count + 1, sizeof *d->changes);
    schema_change *c = &d->changes[d->count++];
    memset(c, 0, sizeof *c);
    c->change = kind;
    c->before = before;
    c->after = after;
    return c;
}

sw_status schema_diff_compute(const schema_snapshot *before, const schema_snapshot *after,
                              schema_diff *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    sw_status st = check_order(before, "before", err);
    if (st == SW_OK)
        st = check_order(after, "after", err);
    if (st != SW_OK)
        return st;
    size_t i = 0, j = 0, cap = 0, nb = snapshot_count(before), na = snapshot_count(after);
    while (i < nb || j < na) {
        const schema_object *b = i < nb ? &before->objects[i] : NULL;
        const schema_object *a = j < na ? &after->objects[j] : NULL;
        int order = !b ? 1 : !a ? -1 : schema_object_compare(b, a);
        if (order < 0) {
            add_change(out, &cap, SCHEMA_REMOVED, b, NULL);
            out->removed++;
            i++;
        } else if (order > 0) {
            add_change(out, &cap, SCHEMA_ADDED, NULL, a);
            out->added++;
            j++;
        } else {
            const char *bt = object_text(b), *at = object_text(a);
            if (strcmp(bt, at) != 0) {
                schema_change *c = add_change(out, &cap, SCHEMA_CHANGED, b, a);
                text_diff_compute(bt, strlen(bt), at, strlen(at), &c->lines, err);
                out->changed++;
            }
            i++;
            j++;
        }
    }
    return SW_OK;
}

void schema_diff_free(schema_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        text_diff_free(&d->changes[i].lines);
    free(d->changes);
    memset(d, 0, sizeof *d);
}

static const schema_object *change_object(const schema_change *c)
{
    return c->after ? c->after : c->before;
}

/* The detail lines of a block: what follows its header line "kind name"
 * (the whole text when it does not start with that header). */
static const char *block_details(const schema_object *o)
{
    const char *text = object_text(o);
    size_t kind = strlen(o->kind), name = strlen(o->name);
    if (strncmp(text, o->kind, kind) == 0 && text[kind] == ' ' &&
        strncmp(text + kind + 1, o->name, name) == 0 &&
        (text[kind + 1 + name] == '\n' || text[kind + 1 + name] == '\0'))
        return text + kind + 1 + name + (text[kind + 1 + name] == '\n');
    return text;
}

/* One line of `*p` (without its newline) and *p moved past it; false at
 * the end of the text. */
static bool next_line(const char **p, const char **line, size_t *length)
{
    if (**p == '\0')
        return false;
    const char *nl = strchr(*p, '\n');
    *line = *p;
    *length = nl ? (size_t)(nl - *p) : strlen(*p);
    *p += *length + (nl != NULL);
    return true;
}

static void append_block(strbuf *sb, char sign, const schema_object *o)
{
    strbuf_appendf(sb, "%c %s %s\n", sign, o->kind, o->name);
    const char *p = block_details(o), *line;
    size_t length;
    while (next_line(&p, &line, &length)) {
        strbuf_append_char(sb, sign);
        if (length) {
            strbuf_append_char(sb, ' ');
            strbuf_append_len(sb, line, length);
        }
        strbuf_append_char(sb, '\n');
    }
}

static char *change_unified(const schema_change *c)
{
    return text_diff_unified(&c->lines, "before", "after", 3);
}

static void append_summary(strbuf *sb, const schema_diff *d)
{
    strbuf_appendf(sb, "%zu object%s differ%s:", d->count, d->count == 1 ? "" : "s",
                   d->count == 1 ? "s" : "");
    const struct {
        size_t n;
        const char *what;
    } parts[] = {{d->added, "added"}, {d->removed, "removed"}, {d->changed, "changed"}};
    const char *sep = " ";
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i].n == 0)
            continue;
        strbuf_appendf(sb, "%s%zu %s", sep, parts[i].n, parts[i].what);
        sep = ", ";
    }
    strbuf_append_char(sb, '\n');
}

char *schema_diff_text(const schema_diff *d)
{
    if (!d || d->count == 0)
        return xstrdup("no schema changes\n");
    strbuf sb = {0};
    for (size_t i = 0; i < d->count; i++) {
        const schema_change *c = &d->changes[i];
        switch (c->change) {
        case SCHEMA_ADDED:
            append_block(&sb, '+', c->after);
            break;
        case SCHEMA_REMOVED:
            append_block(&sb, '-', c->before);
            break;
        case SCHEMA_CHANGED: {
            char *u = change_unified(c);
            strbuf_appendf(&sb, "~ %s %s\n%s", c->after->kind, c->after->name, u);
            free(u);
            break;
        }
        default:
            break;
        }
        strbuf_append_char(&sb, '\n');
    }
    append_summary(&sb, d);
    return strbuf_detach(&sb);
}

static void json_detail_lines(json_writer *w, const schema_object *o)
{
    json_begin_array(w);
    const char *p = block_details(o), *line;
    size_t length;
    while (next_line(&p, &line, &length)) {
        if (length >= 2 && line[0] == ' ' && line[1] == ' ') {
            line += 2;
            length -= 2;
        }
        char *copy = xstrndup(line, length);
        json_string(w, copy);
        free(copy);
    }
    json_end_array(w);
}

static void json_change(json_writer *w, const schema_change *c)
{
    static const char *const names[] = {"added", "removed", "changed"};
    const schema_object *o = change_object(c);
    json_begin_object(w);
    json_key(w, "change");
    json_string(w, names[c->change]);
    json_key(w, "kind");
    json_string(w, o->kind);
    json_key(w, "name");
    json_string(w, o->name);
    if (c->change == SCHEMA_CHANGED) {
        char *u = change_unified(c);
        json_key(w, "diff");
        json_string(w, u);
        free(u);
    } else {
        json_key(w, "lines");
        json_detail_lines(w, o);
    }
    json_end_object(w);
}

char *schema_diff_json(const schema_diff *d)
{
    static const schema_diff none;
    if (!d)
        d = &none;
    strbuf sb = {0};
    json_writer w;
    json_init(&w, &sb, true);
    json_begin_object(&w);
    json_key(&w, "added");
    json_int(&w, (long long)d->added);
    json_key(&w, "removed");
    json_int(&w, (long long)d->removed);
    json_key(&w, "changed");
    json_int(&w, (long long)d->changed);
    json_key(&w, "changes");
    json_begin_array(&w);
    for (size_t i = 0; i < d->count; i++)
        json_change(&w, &d->changes[i]);
    json_end_array(&w);
    json_end_object(&w);
    return strbuf_detach(&sb);
}
