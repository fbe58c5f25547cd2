/* Shared by the monitor tests: a blocking tree as one comparable string,
 * "pid:depth/direct/total" per node in display order ("*" after the
 * depth of a cycle node, the gid instead of the pid of a prepared
 * transaction). Include after <cmocka.h>. */
#ifndef STEPWISE_TREE_SHAPE_H
#define STEPWISE_TREE_SHAPE_H

#include "core/monitor.h"
#include "core/util.h"

static char *tree_shape(const monitor_snapshot *s)
{
    strbuf sb = {0};
    for (size_t i = 0; i < s->nnodes; i++) {
        const monitor_node *n = &s->nodes[i];
        const monitor_session *m = &s->sessions[n->session];
        if (i)
            strbuf_append_char(&sb, ' ');
        if (m->gid)
            strbuf_appendf(&sb, "%s", m->gid);
        else
            strbuf_appendf(&sb, "%d", m->pid);
        strbuf_appendf(&sb, ":%zu%s/%zu/%zu", n->depth, n->cycle ? "*" : "", n->blocked_direct,
                       n->blocked_total);
    }
    return strbuf_detach(&sb);
}

static void check_tree(const monitor_snapshot *s, const char *expected)
{
    char *got = tree_shape(s);
    if (strcmp(got, expected) != 0)
        fail_msg("tree: expected \"%s\", got \"%s\"", expected, got);
    free(got);
}

#endif
