-- TODO: write this
/* and this
   /* nested */ still a comment */

