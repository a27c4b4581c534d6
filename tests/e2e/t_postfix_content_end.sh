#!/bin/bash
# t_postfix_content_end.sh - every case of t_postfix.sh again with
# ContentReplies end on both ses-milters (unix and inet sockets): Postfix
# sends the headers and the body without waiting for a reply per packet,
# and a refusal decided there is given at end of message.  The SMTP client
# must see exactly the same replies and mailboxes as with a reply to each.
T_SUITE=t_postfix_content_end SES_CONTENT_REPLIES=end exec bash "$(dirname "$0")/t_postfix.sh" "$@"
