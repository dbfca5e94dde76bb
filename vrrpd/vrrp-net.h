/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Thin socket layer of vrrpd: one raw protocol-112 socket per instance
 * (bound to its interface, multicast group joined or unicast), gratuitous
 * ARP over PF_PACKET and unsolicited neighbour advertisements over ICMPv6.
 * No policy here: vrrpd.c decides when to send. All functions return
 * negative errno. */

#include <stdint.h>
#include <sys/types.h>

#include "addr-util.h"

#define VRRP_MCAST_IPV4 "224.0.0.18"
#define VRRP_MCAST_IPV6 "ff02::12"

/* Opens the advert socket: nonblocking, SO_BINDTODEVICE, TTL/hop limit 255,
 * multicast loop off, group joined unless unicast. IPv4 uses IP_HDRINCL so
 * what vrrp_packet_encode_ipv4() builds is what goes out. */
int vrrp_socket_open(int family, int ifindex, const char *ifname, bool unicast);

/* Sends one packet: IPv4 = a full datagram (header included), IPv6 = the
 * VRRP message with src as the source address (IPV6_PKTINFO). */
int vrrp_socket_send(int fd, int family, int ifindex, const union in_addr_union *src,
                     const union in_addr_union *dst, const uint8_t *buf, size_t len);

/* Receives one packet. IPv4: the datagram with its header. IPv6: the
 * message, with source, destination and hop limit from ancillary data.
 * Returns the length, -EAGAIN when nothing is queued. */
ssize_t vrrp_socket_recv(int fd, int family, uint8_t *buf, size_t size, union in_addr_union *ret_src,
                         union in_addr_union *ret_dst, uint8_t *ret_hoplimit);

/* Gratuitous ARP (an ARP request with sender = target = addr, to broadcast)
 * from mac on ifindex. */
int vrrp_send_garp(int ifindex, const uint8_t mac[6], const struct in_addr *addr);
/* Unsolicited neighbour advertisement for addr to ff02::1 (override flag,
 * target link-layer address option) from mac on ifindex. */
int vrrp_send_unsolicited_na(int ifindex, const uint8_t mac[6], const struct in6_addr *addr);
