/* States and plans. Both lists are sorted by version, so the merge is
 * one pass; a plan refers to status entries, it copies nothing. */
#include "config.h"

#include "core/plan.h"

#include <stdlib.h>
#include <string.h>

const char *mig_state_name(mig_state state)
{
    static const char *const names[] = {"applied", "pending", "dirty", "drifted", "missing"};
    return (size_t)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

static status_entry *add(migration_status *out, size_t *cap)
{
    out->entries = array_grow(out->entries, cap, out->count + 1, sizeof *out->entries);
    status_entry *e = &out->entries[out->count++];
    memset(e, 0, sizeof *e);
    return e;
}

void status_build(const migration_source *src, const history_data *hist, migration_status *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0, i = 0, j = 0;
    const char *highest_applied = NULL;
    while (i < src->count || j < hist->count) {
        const migration *m = i < src->count ? &src->migrations[i] : NULL;
        const history_row *h = j < hist->count ? &hist->rows[j] : NULL;
        int c = !m ? 1 : !h ? -1 : version_compare(m->version, h->version);
        status_entry *e = add(out, &cap);
        if (c < 0) {
            e->m = m;
            e->version = m->version;
            e->name = m->name;
            e->state = STATE_PENDING;
            i++;
        } else if (c > 0) {
            e->h = h;
            e->version = h->version;
            e->name = h->name;
            e->state = h->dirty ? STATE_DIRTY : STATE_MISSING;
            j++;
        } else {
            e->m = m;
            e->h = h;
            e->version = m->version;
            e->name = m->name;
            e->state = h->dirty ? STATE_DIRTY
                       : strcmp(m->checksum, h->checksum) != 0 ? STATE_DRIFTED
                                                               : STATE_APPLIED;
            i++;
            j++;
        }
        if (e->h)
            highest_applied = e->version;
    }
    for (size_t k = 0; k < out->count; k++) {
        status_entry *e = &out->entries[k];
        if (e->state == STATE_PENDING && highest_applied &&
            version_compare(e->version, highest_applied) < 0)
            e->out_of_order = true;
        size_t *counts[] = {&out->applied, &out->pending, &out->dirty, &out->drifted,
                            &out->missing};
        (*counts[e->state])++;
        out->out_of_order += e->out_of_order;
    }
}

void status_free(migration_status *s)
{
    free(s->entries);
    memset(s, 0, sizeof *s);
}

const status_entry *status_find(const migration_status *s, const char *version)
{
    return version_bsearch(s->entries, s->count, sizeof *s->entries, version);
}

static void push(plan *p, size_t *cap, const status_entry *e, bool down)
{
    p->steps = array_grow(p->steps, cap, p->count + 1, sizeof *p->steps);
    p->steps[p->count].e = e;
    p->steps[p->count].down = down;
    p->count++;
}

static sw_status check_target(const migration_status *s, const char *to, sw_error *err)
{
    if (!to)
        return SW_OK;
    if (!version_valid(to))
        return sw_error_set(err, SW_USAGE,
                            "'%s' is not a version: digits, optionally dotted (1.2.3)", to);
    /* 0 stands for "before the first migration" (goto 0, down --to 0). */
    if (!status_find(s, to) && strspn(to, "0") != strlen(to))
        return sw_error_set(err, SW_USAGE,
                            "version %s is neither in the migrations folder nor in the history",
                            to);
    return SW_OK;
}

sw_status plan_up(const migration_status *s, const char *to, long n, plan *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_target(s, to, err) != SW_OK)
        return SW_USAGE;
    size_t cap = 0;
    for (size_t k = 0; k < s->count && (n < 0 || (long)out->count < n); k++) {
        const status_entry *e = &s->entries[k];
        if (to && version_compare(e->version, to) > 0)
            break;
        if (e->state == STATE_PENDING)
            push(out, &cap, e, false);
    }
    return SW_OK;
}

sw_status plan_down(const migration_status *s, const char *to, long n, plan *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_target(s, to, err) != SW_OK)
        return SW_USAGE;
    if (!to && n < 0)
        n = 1;
    size_t cap = 0;
    for (size_t k = s->count; k-- > 0 && (to || (long)out->count < n);) {
        const status_entry *e = &s->entries[k];
        if (to && version_compare(e->version, to) <= 0)
            break;
        if (e->h)
            push(out, &cap, e, true);
    }
    return SW_OK;
}

sw_status plan_goto(const migration_status *s, const char *to, plan *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!to)
        return sw_error_set(err, SW_USAGE, "goto needs a VERSION");
    if (check_target(s, to, err) != SW_OK)
        return SW_USAGE;
    const status_entry *e = status_find(s, to);
    if (!e || e->h)
        return plan_down(s, to, -1, out, err);
    return plan_up(s, to, -1, out, err);
}

void plan_free(plan *p)
{
    free(p->steps);
    memset(p, 0, sizeof *p);
}
