/*
 * netmask - CIDR parsing and matching; see netmask.h.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netmask.h"

static void netmask_clear_host_bits(struct netmask *nm)
{
	int bytes = nm->family == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < bytes; i++) {
		int bit = i * 8;

		if (bit >= nm->prefix)
			nm->addr[i] = 0;
		else if (bit + 8 > nm->prefix)
			nm->addr[i] &= (unsigned char)(0xff << (8 - (nm->prefix - bit)));
	}
}

int netmask_parse(const char *text, struct netmask *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long prefix;
	int max;

	if (strlen(text) >= sizeof buf)
		return -1;
	memcpy(buf, text, strlen(text) + 1);
	memset(out, 0, sizeof *out);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	prefix = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			return -1;
		prefix = strtol(slash, &end, 10);
		if (*end != '\0' || prefix < 0 || prefix > max)
			return -1;
	}
	out->prefix = (int)prefix;
	netmask_clear_host_bits(out);
	return 0;
}

void netmask_format(const struct netmask *nm, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(nm->family, nm->addr, addr, sizeof addr) == NULL)
		snprintf(addr, sizeof addr, "?");
	snprintf(buf, len, "%s/%d", addr, nm->prefix);
}

static bool netmask_match_bytes(const struct netmask *nm, int family,
				const unsigned char *a)
{
	int full, rest;

	if (family != nm->family)
		return false;
	full = nm->prefix / 8;
	rest = nm->prefix % 8;
	if (memcmp(a, nm->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return (a[full] & (unsigned char)(0xff << (8 - rest))) == nm->addr[full];
}

bool netmask_match(const struct netmask *nm, const struct sockaddr *sa)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		return netmask_match_bytes(nm, AF_INET, (const unsigned char *)&sin->sin_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		const unsigned char *a = (const unsigned char *)&sin6->sin6_addr;

		if (nm->family == AF_INET && memcmp(a, v4mapped, 12) == 0)
			return netmask_match_bytes(nm, AF_INET, a + 12);
		return netmask_match_bytes(nm, AF_INET6, a);
	}
	return false;
}

bool netmask_match_text(const struct netmask *nm, const char *addr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof sin);
	memset(&sin6, 0, sizeof sin6);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return netmask_match(nm, (struct sockaddr *)&sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		return netmask_match(nm, (struct sockaddr *)&sin6);
	}
	return false;
}
