/* netdev.c: linux.netDevices over a raw NETLINK_ROUTE socket (no ip(8)).
 * For each entry: the host device's permanent global addresses are read
 * (RTM_GETADDR dump), the device is moved and renamed in one RTM_NEWLINK
 * (IFLA_NET_NS_FD + IFLA_IFNAME), then, through a socket opened inside the
 * container's namespace, set up and given its addresses back. Netlink lengths
 * are unsigned throughout (no NLMSG_OK/RTA_OK, whose int comparisons trip
 * -Wsign-compare). */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "util.h"

#define NL_BUF 16384
#define ALIGN4(n) (((n) + 3u) & ~3u)

int
al_netdev_name_check (const char *name, bool template_ok, const char **why)
{
  size_t n = strlen (name);
  if (n == 0)
    return *why = "empty interface name", -1;
  if (n >= IFNAMSIZ)
    return *why = "interface name longer than 15 bytes", -1;
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return *why = "\".\" and \"..\" are not interface names", -1;
  int pct = 0;
  for (const char *p = name; *p; p++)
    {
      if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
        return *why = "interface names cannot hold '/', ':' or blanks", -1;
      if (*p == '%')
        {
          if (!template_ok)
            return *why = "a host interface name cannot hold '%'", -1;
          if (p[1] != 'd' || ++pct > 1)
            return *why = "'%' is only allowed as one \"%d\" (the kernel picks a free number)", -1;
        }
    }
  return 0;
}

/* ---- a small netlink message builder ---------------------------------- */

struct nlmsg
{
  union
  {
    struct nlmsghdr h;
    char buf[1024];
  };
};

static void *
nl_begin (struct nlmsg *m, uint16_t type, uint16_t flags, size_t hdr)
{
  memset (m, 0, sizeof (*m));
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = (uint16_t) (NLM_F_REQUEST | flags);
  m->h.nlmsg_len = (uint32_t) (NLMSG_HDRLEN + ALIGN4 (hdr));
  return m->buf + NLMSG_HDRLEN;
}

static void
nl_attr (struct nlmsg *m, uint16_t type, const void *data, size_t len)
{
  size_t off = ALIGN4 (m->h.nlmsg_len);
  size_t total = RTA_LENGTH (len);
  if (off + ALIGN4 (total) > sizeof (m->buf))
    abort (); /* our own messages: a few short attributes */
  struct rtattr *a = (struct rtattr *) (m->buf + off);
  a->rta_type = type;
  a->rta_len = (unsigned short) total;
  memcpy (RTA_DATA (a), data, len);
  m->h.nlmsg_len = (uint32_t) (off + ALIGN4 (total));
}

static int
nl_open (al_error_t *err)
{
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return al_err (err, errno, "linux.netDevices: netlink socket");
  return fd;
}

/* Send and wait for the ack (or, with *reply, the first answer message,
 * copied into reply). Returns 0 or -errno from the kernel. */
static int
nl_call (int fd, struct nlmsg *m, void *reply, size_t reply_len)
{
  static uint32_t seq;
  m->h.nlmsg_seq = ++seq;
  if (reply == NULL)
    m->h.nlmsg_flags |= NLM_F_ACK;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto (fd, m->buf, m->h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -errno;
  _cleanup_free_ char *buf = al_xmalloc0 (NL_BUF);
  for (;;)
    {
      ssize_t n = recv (fd, buf, NL_BUF, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      size_t left = (size_t) n;
      for (char *p = buf; left >= sizeof (struct nlmsghdr);)
        {
          struct nlmsghdr *h = (struct nlmsghdr *) p;
          if (h->nlmsg_len < sizeof (*h) || h->nlmsg_len > left)
            return -EBADMSG;
          if (h->nlmsg_seq == m->h.nlmsg_seq)
            {
              if (h->nlmsg_type == NLMSG_ERROR)
                {
                  if (h->nlmsg_len < NLMSG_LENGTH (sizeof (struct nlmsgerr)))
                    return -EBADMSG;
                  const struct nlmsgerr *e = NLMSG_DATA (h);
                  return e->error;
                }
              if (reply)
                {
                  size_t take = h->nlmsg_len < reply_len ? h->nlmsg_len : reply_len;
                  memcpy (reply, h, take);
                  return 0;
                }
            }
          size_t step = ALIGN4 (h->nlmsg_len);
          if (step >= left)
            break;
          p += step;
          left -= step;
        }
    }
}

/* ifindex of `name` (RTM_GETLINK by IFLA_IFNAME, or by index when name is
 * NULL) through fd. Returns the index, or -errno (-ENODEV: none). */
static int
nl_link_index (int fd, const char *name, int index)
{
  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin (&m, RTM_GETLINK, 0, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = name ? 0 : index;
  if (name)
    nl_attr (&m, IFLA_IFNAME, name, strlen (name) + 1);
  char reply[NLMSG_HDRLEN + sizeof (struct ifinfomsg)];
  memset (reply, 0, sizeof reply);
  int r = nl_call (fd, &m, reply, sizeof reply);
  if (r < 0)
    return r;
  const struct nlmsghdr *h = (const struct nlmsghdr *) reply;
  if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < sizeof reply)
    return -EBADMSG;
  return ((const struct ifinfomsg *) NLMSG_DATA (h))->ifi_index;
}

/* ---- addresses ---------------------------------------------------------- */

struct addr
{
  struct ifaddrmsg ifa;
  uint32_t flags;
  unsigned char local[16], address[16], broadcast[16];
  size_t local_len, address_len, broadcast_len;
};

static void
take_attr (const struct rtattr *a, size_t alen, unsigned char *dst, size_t *dlen)
{
  size_t n = alen - RTA_LENGTH (0);
  if (n > 16)
    return;
  memcpy (dst, RTA_DATA (a), n);
  *dlen = n;
}

/* Permanent, global-scope addresses of ifindex (RFC 3549 2.3.3.2 terms). */
static int
dump_addrs (int fd, int ifindex, struct addr **out, size_t *nout)
{
  struct nlmsg m;
  struct ifaddrmsg *ifa = nl_begin (&m, RTM_GETADDR, NLM_F_DUMP, sizeof (*ifa));
  ifa->ifa_family = AF_UNSPEC;
  m.h.nlmsg_seq = 0x5eed;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto (fd, m.buf, m.h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -errno;
  _cleanup_free_ char *buf = al_xmalloc0 (NL_BUF);
  *out = NULL;
  *nout = 0;
  for (;;)
    {
      ssize_t n = recv (fd, buf, NL_BUF, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      size_t left = (size_t) n;
      for (char *p = buf; left >= sizeof (struct nlmsghdr);)
        {
          struct nlmsghdr *h = (struct nlmsghdr *) p;
          if (h->nlmsg_len < sizeof (*h) || h->nlmsg_len > left)
            return -EBADMSG;
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              if (h->nlmsg_len < NLMSG_LENGTH (sizeof (struct nlmsgerr)))
                return -EBADMSG;
              return ((const struct nlmsgerr *) NLMSG_DATA (h))->error;
            }
          if (h->nlmsg_type == RTM_NEWADDR && h->nlmsg_len >= NLMSG_LENGTH (sizeof (struct ifaddrmsg)))
            {
              const struct ifaddrmsg *im = NLMSG_DATA (h);
              struct addr a = { .ifa = *im, .flags = im->ifa_flags };
              size_t alen = h->nlmsg_len - NLMSG_LENGTH (sizeof (*im));
              const char *ap = (const char *) im + NLMSG_ALIGN (sizeof (*im));
              while (alen >= sizeof (struct rtattr))
                {
                  const struct rtattr *ra = (const struct rtattr *) ap;
                  size_t rl = ra->rta_len;
                  if (rl < sizeof (*ra) || rl > alen)
                    break;
                  if (ra->rta_type == IFA_LOCAL)
                    take_attr (ra, rl, a.local, &a.local_len);
                  else if (ra->rta_type == IFA_ADDRESS)
                    take_attr (ra, rl, a.address, &a.address_len);
                  else if (ra->rta_type == IFA_BROADCAST)
                    take_attr (ra, rl, a.broadcast, &a.broadcast_len);
                  else if (ra->rta_type == IFA_FLAGS && rl >= RTA_LENGTH (sizeof (uint32_t)))
                    memcpy (&a.flags, RTA_DATA (ra), sizeof (uint32_t));
                  size_t step = RTA_ALIGN (rl);
                  if (step >= alen)
                    break;
                  ap += step;
                  alen -= step;
                }
              if ((int) im->ifa_index == ifindex && (a.flags & IFA_F_PERMANENT) && im->ifa_scope == RT_SCOPE_UNIVERSE)
                {
                  struct addr *grown = realloc (*out, (*nout + 1) * sizeof (**out));
                  if (grown == NULL)
                    abort ();
                  *out = grown;
                  (*out)[(*nout)++] = a;
                }
            }
          size_t step = ALIGN4 (h->nlmsg_len);
          if (step >= left)
            break;
          p += step;
          left -= step;
        }
    }
}

static int
add_addr (int fd, int ifindex, const struct addr *a)
{
  struct nlmsg m;
  struct ifaddrmsg *ifa = nl_begin (&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof (*ifa));
  *ifa = a->ifa;
  ifa->ifa_index = (uint32_t) ifindex;
  if (a->local_len)
    nl_attr (&m, IFA_LOCAL, a->local, a->local_len);
  if (a->address_len)
    nl_attr (&m, IFA_ADDRESS, a->address, a->address_len);
  if (a->broadcast_len)
    nl_attr (&m, IFA_BROADCAST, a->broadcast, a->broadcast_len);
  nl_attr (&m, IFA_FLAGS, &a->flags, sizeof (a->flags));
  return nl_call (fd, &m, NULL, 0);
}

/* ---- the move ------------------------------------------------------------ */

/* A netlink socket living in the namespace netns_fd (a socket stays in the
 * namespace it was created in): this thread steps in and back out. */
static int
nl_open_in (int netns_fd, al_error_t *err)
{
  _cleanup_close_ int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return al_err (err, errno, "linux.netDevices: open /proc/thread-self/ns/net");
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return al_err (err, errno, "linux.netDevices: enter the container's network namespace");
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int saved = errno;
  if (setns (self, CLONE_NEWNET) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return al_err (err, e, "linux.netDevices: return to the runtime's network namespace");
    }
  if (fd < 0)
    return al_err (err, saved, "linux.netDevices: netlink socket in the container's network namespace");
  return fd;
}

int
al_netdev_precheck (const struct oci_spec *spec, al_error_t *err)
{
  const struct oci_linux *l = spec->linux_;
  if (l == NULL || l->n_net_devices == 0)
    return 0;
  if (oci_spec_namespace (spec, OCI_NS_NETWORK) == NULL)
    return al_err (err, 0, "linux.netDevices: needs a network namespace in linux.namespaces (the container "
                           "would share the runtime's)");
  for (size_t i = 0; i < l->n_net_devices; i++)
    if (if_nametoindex (l->net_devices[i].host_name) == 0)
      return al_err (err, errno == ENXIO ? ENODEV : errno,
                     "linux.netDevices[\"%s\"]: no such interface in the runtime's network namespace",
                     l->net_devices[i].host_name);
  return 0;
}

static int
move_one (int host, int inner, int netns_fd, const struct oci_net_device *d, al_error_t *err)
{
  const char *host_name = d->host_name;
  const char *name = d->name ? d->name : d->host_name;
  bool tmpl = strstr (name, "%d") != NULL;
  int index = nl_link_index (host, host_name, 0);
  if (index < 0)
    return al_err (err, -index, "linux.netDevices[\"%s\"]: look it up in the runtime's network namespace", host_name);
  if (!tmpl)
    {
      int r = nl_link_index (inner, name, 0);
      if (r >= 0)
        return al_err (err, EEXIST, "linux.netDevices[\"%s\"].name: \"%s\" already exists in the container's network "
                                    "namespace (a name ending in %%d lets the kernel pick a free one)",
                       host_name, name);
      if (r != -ENODEV)
        return al_err (err, -r, "linux.netDevices[\"%s\"]: look up \"%s\" in the container's network namespace",
                       host_name, name);
    }
  _cleanup_free_ struct addr *addrs = NULL;
  size_t n_addrs = 0;
  int r = dump_addrs (host, index, &addrs, &n_addrs);
  if (r < 0)
    return al_err (err, -r, "linux.netDevices[\"%s\"]: read its addresses", host_name);

  struct nlmsg m;
  struct ifinfomsg *ifi = nl_begin (&m, RTM_NEWLINK, 0, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  uint32_t nsfd = (uint32_t) netns_fd;
  nl_attr (&m, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
  nl_attr (&m, IFLA_IFNAME, name, strlen (name) + 1);
  r = nl_call (host, &m, NULL, 0);
  if (r < 0)
    return al_err (err, -r, "linux.netDevices[\"%s\"]: move into the container's network namespace as \"%s\"",
                   host_name, name);

  /* The index stays unless the namespace already uses it: then by name. */
  int inner_index = tmpl ? nl_link_index (inner, NULL, index) : nl_link_index (inner, name, 0);
  if (inner_index < 0)
    return al_err (err, -inner_index, "linux.netDevices[\"%s\"]: find \"%s\" in the container's network namespace",
                   host_name, name);
  ifi = nl_begin (&m, RTM_NEWLINK, 0, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = inner_index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  r = nl_call (inner, &m, NULL, 0);
  if (r < 0)
    return al_err (err, -r, "linux.netDevices[\"%s\"]: set \"%s\" up", host_name, name);
  for (size_t i = 0; i < n_addrs; i++)
    {
      r = add_addr (inner, inner_index, &addrs[i]);
      if (r < 0 && r != -EEXIST)
        return al_err (err, -r, "linux.netDevices[\"%s\"]: restore its address %zu (family %u, /%u)", host_name, i,
                       addrs[i].ifa.ifa_family, addrs[i].ifa.ifa_prefixlen);
    }
  return 0;
}

int
al_netdev_move_all (const struct oci_linux *l, int netns_fd, al_error_t *err)
{
  if (l == NULL || l->n_net_devices == 0)
    return 0;
  _cleanup_close_ int host = nl_open (err);
  if (host < 0)
    return host;
  _cleanup_close_ int inner = nl_open_in (netns_fd, err);
  if (inner < 0)
    return inner;
  for (size_t i = 0; i < l->n_net_devices; i++)
    {
      int r = move_one (host, inner, netns_fd, &l->net_devices[i], err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* ---- back on delete ------------------------------------------------------ */

int
al_netdev_move_back (const struct oci_linux *l, int netns_fd, void (*warn) (void *, const char *), void *data)
{
  if (l == NULL || l->n_net_devices == 0)
    return 0;
  _cleanup_close_ int self = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_close_ int host = self >= 0 ? nl_open (&err) : -1;
  _cleanup_close_ int inner = host >= 0 ? nl_open_in (netns_fd, &err) : -1;
  if (inner < 0)
    {
      char *msg = al_xasprintf ("linux.netDevices: cannot move the devices back to the host: %s",
                                err ? err->msg : strerror (errno));
      warn (data, msg);
      free (msg);
      return -1;
    }
  int failed = 0;
  for (size_t i = 0; i < l->n_net_devices; i++)
    {
      const struct oci_net_device *d = &l->net_devices[i];
      const char *name = d->name ? d->name : d->host_name;
      if (strstr (name, "%d"))
        {
          /* The kernel chose the number: the name inside is not known. */
          char *msg = al_xasprintf ("linux.netDevices[\"%s\"]: named by the template \"%s\", left to the "
                                    "kernel (a physical device returns when the namespace goes)",
                                    d->host_name, name);
          warn (data, msg);
          free (msg);
          continue;
        }
      int index = nl_link_index (inner, name, 0);
      if (index < 0)
        {
          char *msg = al_xasprintf ("linux.netDevices[\"%s\"]: \"%s\" is no longer in the container's network "
                                    "namespace: %s",
                                    d->host_name, name, strerror (-index));
          warn (data, msg);
          free (msg);
          failed++;
          continue;
        }
      struct nlmsg m;
      struct ifinfomsg *ifi = nl_begin (&m, RTM_NEWLINK, 0, sizeof (*ifi));
      ifi->ifi_family = AF_UNSPEC;
      ifi->ifi_index = index;
      uint32_t nsfd = (uint32_t) self;
      nl_attr (&m, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
      nl_attr (&m, IFLA_IFNAME, d->host_name, strlen (d->host_name) + 1);
      int r = nl_call (inner, &m, NULL, 0);
      if (r < 0)
        {
          char *msg = al_xasprintf ("linux.netDevices[\"%s\"]: move \"%s\" back to the host's network namespace: %s",
                                    d->host_name, name, strerror (-r));
          warn (data, msg);
          free (msg);
          failed++;
        }
    }
  return failed ? -1 : 0;
}
