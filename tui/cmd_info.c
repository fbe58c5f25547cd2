/* stepwise info: which database a command would use, how it was chosen,
 * and what answers there. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/db.h"
#include "core/json.h"
#include "core/util.h"
#include "tui/cli.h"

static void print_field(const char *label, const char *value)
{
    char *shown = text_escaped(value ? value : "");
    printf("%-10s %s\n", label, shown);
    free(shown);
}

int cmd_info(const cli_options *opts, int argc, char **argv)
{
    if (argc > 1)
        return usage_error("Usage: stepwise info [--db TARGET] [--json]",
                           "info takes no arguments (got '%s')", argv[1]);
    sw_error err = {0};
    db_target target;
    db *d = NULL;
    db_server_info info;
    if (open_target(opts, DB_OPEN_EXISTING, &target, &d, &err) != SW_OK ||
        db_server_info_get(d, &info, &err) != SW_OK) {
        db_close(d);
        db_target_free(&target);
        return err.status == SW_USAGE ? usage_error(NULL, "%s", err.message) : report_error(&err);
    }

    bool postgres = db_get_kind(d) == DB_POSTGRES;
    const char *role = !postgres ? NULL : info.in_recovery ? "replica" : "primary";
    if (opts->json) {
        strbuf sb = {0};
        json_writer w;
        json_init(&w, &sb, true);
        json_begin_object(&w);
        json_key(&w, "target");
        json_string(&w, target.display);
        json_key(&w, "origin");
        json_string(&w, db_origin_name(target.origin));
        json_key(&w, "driver");
        json_string(&w, postgres ? "postgresql" : "sqlite");
        json_key(&w, "server_version");
        json_string(&w, info.version);
        json_key(&w, "server_version_num");
        json_int(&w, info.version_num);
        json_key(&w, "database");
        json_string(&w, info.database);
        json_key(&w, "user");
        json_string(&w, info.user);
        json_key(&w, "host");
        json_string(&w, info.host);
        json_key(&w, "port");
        json_string(&w, info.port);
        json_key(&w, "role");
        json_string(&w, role);
        json_key(&w, "read_only");
        json_bool(&w, info.read_only);
        json_end_object(&w);
        printf("%s\n", strbuf_str(&sb));
        strbuf_free(&sb);
    } else {
        char *target_line = xasprintf("%s (from %s)", target.display, db_origin_name(target.origin));
        print_field("target:", target_line);
        free(target_line);
        char *server = xasprintf("%s %s%s%s%s", info.product, info.version, role ? " (" : "",
                                 role ? role : "", role ? ")" : "");
        print_field("server:", server);
        free(server);
        print_field(postgres ? "database:" : "file:", info.database);
        if (postgres) {
            print_field("user:", info.user);
            char *where = xasprintf("%s port %s", info.host, info.port);
            print_field(info.host[0] == '/' ? "socket:" : "host:", where);
            free(where);
        }
        print_field("read-only:", info.read_only ? "yes" : "no");
    }
    db_server_info_free(&info);
    db_close(d);
    db_target_free(&target);
    return SW_OK;
}
