/* What every list view shares: the selection and scrolling. */
#include "config.h"

#include "tui/view.h"

bool list_cursor_request(list_cursor *lc, request req, long count, int rows)
{
    long page = rows > 1 ? rows - 1 : 1;
    switch (req) {
    case REQ_MOVE_UP:
        lc->selected--;
        break;
    case REQ_MOVE_DOWN:
        lc->selected++;
        break;
    case REQ_PAGE_UP:
        lc->selected -= page;
        lc->top -= page;
        break;
    case REQ_PAGE_DOWN:
        lc->selected += page;
        lc->top += page;
        break;
    case REQ_MOVE_FIRST:
        lc->selected = 0;
        break;
    case REQ_MOVE_LAST:
        lc->selected = count - 1;
        break;
    default:
        return false;
    }
    list_cursor_clamp(lc, count, rows);
    return true;
}

void list_cursor_clamp(list_cursor *lc, long count, int rows)
{
    if (rows < 1)
        rows = 1;
    if (lc->selected >= count)
        lc->selected = count - 1;
    if (lc->selected < 0)
        lc->selected = 0;
    if (lc->top > lc->selected)
        lc->top = lc->selected;
    if (lc->selected >= lc->top + rows)
        lc->top = lc->selected - rows + 1;
    if (lc->top > count - rows)
        lc->top = count - rows;
    if (lc->top < 0)
        lc->top = 0;
}

bool page_scroll_request(long *top, request req, long count, int rows)
{
    long page = rows > 1 ? rows - 1 : 1;
    long last = count - (rows > 0 ? rows : 1);
    if (last < 0)
        last = 0;
    switch (req) {
    case REQ_MOVE_UP:
        (*top)--;
        break;
    case REQ_MOVE_DOWN:
        (*top)++;
        break;
    case REQ_PAGE_UP:
        *top -= page;
        break;
    case REQ_PAGE_DOWN:
        *top += page;
        break;
    case REQ_MOVE_FIRST:
        *top = 0;
        break;
    case REQ_MOVE_LAST:
        *top = last;
        break;
    default:
        return false;
    }
    if (*top > last)
        *top = last;
    if (*top < 0)
        *top = 0;
    return true;
}
