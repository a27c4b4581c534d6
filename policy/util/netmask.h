/*
 * netmask - IPv4/IPv6 networks in CIDR form and matching addresses to them.
 *
 * IPv4-mapped IPv6 client addresses (::ffff:192.0.2.1) match IPv4 networks.
 */
#ifndef SES_NETMASK_H
#define SES_NETMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct netmask {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network address, host bits cleared */
	int prefix;		/* 0..32 or 0..128 */
};

/* Parses "192.0.2.0/24", "2001:db8::/32" or a single address. 0 or -1. */
int netmask_parse(const char *text, struct netmask *out);

/* Formats nm as text into buf (at least 64 bytes). */
void netmask_format(const struct netmask *nm, char *buf, size_t len);

/* True when sa (AF_INET or AF_INET6) lies in nm. */
bool netmask_match(const struct netmask *nm, const struct sockaddr *sa);

/* True when text names an address (no prefix) inside nm. */
bool netmask_match_text(const struct netmask *nm, const char *addr);

#endif
