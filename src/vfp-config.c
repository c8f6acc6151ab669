/* The configuration file. Every key is checked; a broken file is refused
 * whole, with file, group, key and reason, so that nothing acts on half a
 * configuration. A file that others could write is refused too: it decides
 * which devices root hands to guests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfp-config.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-trust.h"
#include "vfp-vf-settings.h"

#define POOL_PREFIX "pool "
#define CONFIG_MAX_SIZE (1024 * 1024)

static void
pool_free (VfpPoolConfig *pool)
{
  g_free (pool->name);
  g_strfreev (pool->pf_specs);
  if (pool->vfs)
    g_array_unref (pool->vfs);
  if (pool->exclude)
    g_array_unref (pool->exclude);
  g_strfreev (pool->exclude_addrs);
  if (pool->pfs)
    g_ptr_array_unref (pool->pfs);
  g_free (pool);
}

void
vfp_config_free (VfpConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_free (config->default_pool);
  g_free (config->state_dir);
  g_free (config->uri);
  g_free (config->log_file);
  g_ptr_array_unref (config->pools);
  g_free (config);
}

static VfpConfig *
config_new (const char *path)
{
  VfpConfig *config = g_new0 (VfpConfig, 1);

  config->path = g_strdup (path);
  config->pools = g_ptr_array_new_with_free_func ((GDestroyNotify) pool_free);
  return config;
}

static gboolean
bad (GError **error, const char *file, const char *group, const char *key,
     const char *fmt, ...) G_GNUC_PRINTF (5, 6);

/* Sets ERROR to "FILE: [GROUP] KEY: REASON". */
static gboolean
bad (GError **error, const char *file, const char *group, const char *key,
     const char *fmt, ...)
{
  va_list ap;
  g_autofree char *reason = NULL;

  va_start (ap, fmt);
  reason = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (key != NULL)
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("%s: [%s] %s: %s"), file, group, key, reason);
  else
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("%s: [%s]: %s"), file, group, reason);
  return FALSE;
}

/* Parses "0-7,12" (and, when ADDRS is given, PCI addresses among them)
 * into sorted ranges. */
static gboolean
vfp_ranges_parse (const char *text, GArray **out, char ***addrs, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (VfpRange));
  g_autoptr (GPtrArray) addr_list = g_ptr_array_new_with_free_func (g_free);
  char **p;

  for (p = parts; *p; p++)
    {
      char *item = g_strstrip (*p);
      char *dash = strchr (item, '-');
      guint64 a, b;
      VfpRange r;

      if (*item == '\0')
        continue;
      if (addrs != NULL && vfp_addr_looks_like (item))
        {
          VfpAddr addr;

          vfp_addr_parse (item, &addr, NULL);
          g_ptr_array_add (addr_list, vfp_addr_to_string (&addr));
          continue;
        }
      if (dash != NULL)
        *dash = '\0';
      if (!g_ascii_string_to_unsigned (item, 10, 0, 65535, &a, NULL)
          || (dash && !g_ascii_string_to_unsigned (dash + 1, 10, 0, 65535, &b, NULL)))
        {
          if (dash)
            *dash = '-';
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("'%s' is not a VF index or range like 0-7"), item);
          return FALSE;
        }
      if (!dash)
        b = a;
      if (b < a)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("the range %u-%u runs backwards"), (guint) a, (guint) b);
          return FALSE;
        }
      r.first = a;
      r.last = b;
      g_array_append_val (ranges, r);
    }
  *out = g_steal_pointer (&ranges);
  if (addrs != NULL)
    {
      g_ptr_array_add (addr_list, NULL);
      *addrs = (char **) g_ptr_array_free (g_steal_pointer (&addr_list), FALSE);
    }
  return TRUE;
}

static gboolean
in_ranges (GArray *ranges, guint index)
{
  guint i;

  for (i = 0; ranges != NULL && i < ranges->len; i++)
    {
      VfpRange *r = &g_array_index (ranges, VfpRange, i);

      if (index >= r->first && index <= r->last)
        return TRUE;
    }
  return FALSE;
}

/* TRUE when the pool's vfs= (if any) includes VF INDEX. */
gboolean
vfp_pool_config_has_index (const VfpPoolConfig *pool, guint index)
{
  return pool->vfs == NULL || in_ranges (pool->vfs, index);
}

/* TRUE when exclude= names VF INDEX or ADDRESS. */
gboolean
vfp_pool_config_excludes (const VfpPoolConfig *pool, guint index, const char *address)
{
  return in_ranges (pool->exclude, index)
         || (pool->exclude_addrs && g_strv_contains ((const char *const *) pool->exclude_addrs, address));
}

/* GKeyFile reads "key[de]=" as the German translation of key= and, unless
 * told to keep them, drops translations for other locales without a word;
 * vfpool has no translated keys, so such a key is a mistake to report. */
static gboolean
check_key_name (const char *file, const char *group, const char *key, GError **error)
{
  if (strchr (key, '[') == NULL)
    return TRUE;
  return bad (error, file, group, key,
              _("vfpool has no translated keys; write the key without the [LOCALE] suffix"));
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpPoolConfig, pool_free)

/* A pool named after GROUP ("pool NAME") with every key at its default;
 * NULL when the name is not one word without '/'. The caller frees it. */
static VfpPoolConfig *
new_pool (const char *file, const char *group, GError **error)
{
  g_autoptr (VfpPoolConfig) pool = g_new0 (VfpPoolConfig, 1);

  pool->name = g_strstrip (g_strdup (group + strlen (POOL_PREFIX)));
  pool->numvfs = -1;
  pool->vlan = -1;
  pool->spoofchk = -1;
  pool->trust = -1;
  if (*pool->name == '\0' || strpbrk (pool->name, " \t/") != NULL)
    {
      bad (error, file, group, NULL, _("a pool name must be one word without '/'"));
      return NULL;
    }
  return g_steal_pointer (&pool);
}

/* pfs=: the comma-separated PF specs of V; FALSE when there are none. */
static gboolean
parse_pf_specs (VfpPoolConfig *pool, const char *v)
{
  g_auto (GStrv) specs = g_strsplit (v, ",", -1);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  char **s;

  for (s = specs; *s; s++)
    if (*g_strstrip (*s) != '\0')
      g_ptr_array_add (list, g_strdup (*s));
  if (list->len == 0)
    return FALSE;
  g_ptr_array_add (list, NULL);
  g_strfreev (pool->pf_specs);
  pool->pf_specs = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

/* vfs= or exclude= (KEY): the index ranges of V, and for exclude= the VF
 * addresses among them. */
static gboolean
parse_index_ranges (VfpPoolConfig *pool, const char *key, const char *v, GError **error)
{
  gboolean is_vfs = strcmp (key, "vfs") == 0;

  /* GKeyFile may list a key twice; the last one counts */
  g_clear_pointer (is_vfs ? &pool->vfs : &pool->exclude, g_array_unref);
  if (!is_vfs)
    g_clear_pointer (&pool->exclude_addrs, g_strfreev);
  return vfp_ranges_parse (v, is_vfs ? &pool->vfs : &pool->exclude,
                           is_vfs ? NULL : &pool->exclude_addrs, error);
}

/* spoofchk=, trust= or allow-shared-iommu-group= (KEY): on or off in V. */
static gboolean
parse_switch (VfpPoolConfig *pool, const char *key, const char *v)
{
  gboolean sw;

  if (!vfp_vf_settings_parse_switch (v, &sw))
    return FALSE;
  if (strcmp (key, "allow-shared-iommu-group") == 0)
    {
      pool->allow_shared_group = sw;
      return TRUE;
    }
  if (strcmp (key, "spoofchk") == 0)
    pool->spoofchk = sw;
  else
    pool->trust = sw;
  vfp_vf_settings_parse (&pool->vf, vfp_vf_field_from_name (key), v, NULL);
  return TRUE;
}

/* The words an enumerated key takes and the values they stand for,
 * ending with a NULL word. */
typedef struct {
  const char *word;
  int value;
} Choice;

static const Choice template_choices[] = {
  { "interface", VFP_TEMPLATE_INTERFACE }, { "hostdev", VFP_TEMPLATE_HOSTDEV }, { NULL, 0 }
};
static const Choice policy_choices[] = {
  { "spread", VFP_POLICY_SPREAD }, { "pack", VFP_POLICY_PACK }, { NULL, 0 }
};
static const Choice numa_choices[] = {
  { "prefer", VFP_NUMA_PREFER }, { "require", VFP_NUMA_REQUIRE }, { "ignore", VFP_NUMA_IGNORE }, { NULL, 0 }
};

/* The value the word V stands for among CHOICES into *OUT; FALSE when V
 * is none of them. */
static gboolean
parse_choice (const Choice *choices, const char *v, int *out)
{
  for (; choices->word != NULL; choices++)
    if (strcmp (choices->word, v) == 0)
      {
        *out = choices->value;
        return TRUE;
      }
  return FALSE;
}

/* Sets KEY of a [pool NAME] group (GROUP of FILE) to V; FALSE, with the
 * error naming file, group and key, when V is not a value KEY takes or a
 * pool has no such key. */
static gboolean
parse_pool_key (VfpPoolConfig *pool, const char *file, const char *group, const char *key,
                const char *v, GError **error)
{
  g_autoptr (GError) e = NULL;
  guint64 n;
  int c;

  if (strcmp (key, "pfs") == 0)
    return parse_pf_specs (pool, v) || bad (error, file, group, key, _("the list is empty"));
  if (strcmp (key, "vfs") == 0 || strcmp (key, "exclude") == 0)
    return parse_index_ranges (pool, key, v, &e) || bad (error, file, group, key, "%s", e->message);
  if (strcmp (key, "numvfs") == 0)
    {
      if (!g_ascii_string_to_unsigned (v, 10, 0, 65535, &n, NULL))
        return bad (error, file, group, key, _("'%s' is not a number of VFs"), v);
      pool->numvfs = n;
      return TRUE;
    }
  if (strcmp (key, "template") == 0)
    {
      if (!parse_choice (template_choices, v, &c))
        return bad (error, file, group, key, _("'%s' is neither interface nor hostdev"), v);
      pool->template = c;
      return TRUE;
    }
  if (strcmp (key, "vlan") == 0)
    {
      if (!g_ascii_string_to_unsigned (v, 10, 1, 4094, &n, NULL))
        return bad (error, file, group, key, _("'%s' is not a VLAN id from 1 to 4094"), v);
      pool->vlan = n;
      return TRUE;
    }
  if (strcmp (key, "spoofchk") == 0 || strcmp (key, "trust") == 0
      || strcmp (key, "allow-shared-iommu-group") == 0)
    return parse_switch (pool, key, v) || bad (error, file, group, key, _("'%s' is not on or off"), v);
  if (strcmp (key, "link-state") == 0 || strcmp (key, "max-tx-rate") == 0
      || strcmp (key, "min-tx-rate") == 0 || strcmp (key, "query-rss") == 0)
    return vfp_vf_settings_parse (&pool->vf, vfp_vf_field_from_name (key), v, &e)
           || bad (error, file, group, key, "%s", e->message);
  if (strcmp (key, "policy") == 0)
    {
      if (!parse_choice (policy_choices, v, &c))
        return bad (error, file, group, key, _("'%s' is neither spread nor pack"), v);
      pool->policy = c;
      return TRUE;
    }
  if (strcmp (key, "numa") == 0)
    {
      if (!parse_choice (numa_choices, v, &c))
        return bad (error, file, group, key, _("'%s' is not prefer, require or ignore"), v);
      pool->numa = c;
      return TRUE;
    }
  return bad (error, file, group, key,
              _("unknown key; a pool knows pfs, vfs, exclude, numvfs, template, vlan, spoofchk, trust, link-state, max-tx-rate, min-tx-rate, query-rss, policy, numa and allow-shared-iommu-group"));
}

/* One [pool NAME] group: every key checked, then the pool as a whole (it
 * names a PF; its VF settings agree). The caller frees it. */
static VfpPoolConfig *
parse_pool (GKeyFile *kf, const char *file, const char *group, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  g_autoptr (VfpPoolConfig) pool = new_pool (file, group, error);
  g_autoptr (GError) e = NULL;
  char **k;

  if (pool == NULL)
    return NULL;
  for (k = keys; k && *k; k++)
    {
      g_autofree char *raw = g_key_file_get_value (kf, group, *k, NULL);

      if (!check_key_name (file, group, *k, error)
          || !parse_pool_key (pool, file, group, *k, g_strstrip (raw), error))
        return NULL;
    }
  if (pool->pf_specs == NULL)
    {
      bad (error, file, group, "pfs", _("missing; a pool needs at least one PF"));
      return NULL;
    }
  if (!vfp_vf_settings_check (&pool->vf, &e))
    {
      bad (error, file, group, "min-tx-rate", "%s", e->message);
      return NULL;
    }
  return g_steal_pointer (&pool);
}

static void
replace_string (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* GKeyFile silently merges two groups of the same name and keeps the last
 * of two equal keys; both are mistakes the operator should hear about. */
static gboolean
check_duplicate_groups (const char *data, const char *name, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *group = "";
  char **l;

  for (l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      gsize len = strlen (line);
      char *eq;

      if (line[0] == '#' || len == 0)
        continue;
      if (len >= 2 && line[0] == '[' && line[len - 1] == ']')
        {
          line[len - 1] = '\0';
          group = line + 1;
          g_hash_table_remove_all (keys);
          if (!g_hash_table_add (seen, line + 1))
            return bad (error, name, line + 1, NULL, _("the group appears twice"));
          continue;
        }
      eq = strchr (line, '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      if (!g_hash_table_add (keys, g_strdup (g_strstrip (line))))
        return bad (error, name, group, g_strstrip (line), _("the key appears twice"));
    }
  return TRUE;
}

/* Sets KEY of the [vfpool] group (GROUP of FILE) to V in CONFIG; FALSE,
 * with the error naming file, group and key, when V is not a value KEY
 * takes or [vfpool] has no such key. */
static gboolean
parse_main_key (VfpConfig *config, const char *file, const char *group, const char *key,
                const char *v, GError **error)
{
  /* an empty value would silently mean the default */
  if (*v == '\0')
    return bad (error, file, group, key, _("the value is empty; give one, or remove the key to get the default"));
  if (strcmp (key, "default-pool") == 0)
    replace_string (&config->default_pool, v);
  else if (strcmp (key, "state-dir") == 0)
    {
      if (!g_path_is_absolute (v))
        return bad (error, file, group, key, _("'%s' is not an absolute path"), v);
      replace_string (&config->state_dir, v);
    }
  else if (strcmp (key, "uri") == 0)
    replace_string (&config->uri, v);
  else if (strcmp (key, "log-file") == 0)
    {
      if (!g_path_is_absolute (v))
        return bad (error, file, group, key, _("'%s' is not an absolute path"), v);
      replace_string (&config->log_file, v);
    }
  else
    return bad (error, file, group, key, _("unknown key; [vfpool] knows default-pool, state-dir, uri and log-file"));
  return TRUE;
}

/* The [vfpool] group (GROUP of FILE) into CONFIG, every key checked. */
static gboolean
parse_main_group (GKeyFile *kf, const char *file, const char *group, VfpConfig *config, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  char **k;

  for (k = keys; *k; k++)
    {
      g_autofree char *raw = g_key_file_get_value (kf, group, *k, NULL);

      if (!check_key_name (file, group, *k, error)
          || !parse_main_key (config, file, group, *k, g_strstrip (raw), error))
        return FALSE;
    }
  return TRUE;
}

/* Parses the text of a configuration; NAME stands for the file in errors. */
VfpConfig *
vfp_config_load_data (const char *data, const char *name, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (VfpConfig) config = config_new (name);
  g_autoptr (GError) e = NULL;
  g_auto (GStrv) groups = NULL;
  char **g;

  /* KEEP_TRANSLATIONS: every "key[LOCALE]=" line reaches the key checks */
  if (!g_key_file_load_from_data (kf, data, -1, G_KEY_FILE_KEEP_TRANSLATIONS, &e))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("%s: %s"), name, e->message);
      return NULL;
    }
  if (!check_duplicate_groups (data, name, error))
    return NULL;
  groups = g_key_file_get_groups (kf, NULL);
  for (g = groups; *g; g++)
    {
      if (strcmp (*g, "vfpool") == 0)
        {
          if (!parse_main_group (kf, name, *g, config, error))
            return NULL;
        }
      else if (g_str_has_prefix (*g, POOL_PREFIX))
        {
          VfpPoolConfig *pool = parse_pool (kf, name, *g, error);

          if (pool == NULL)
            return NULL;
          if (vfp_config_find_pool (config, pool->name))
            {
              bad (error, name, *g, NULL, _("a second pool named '%s'"), pool->name);
              pool_free (pool);
              return NULL;
            }
          g_ptr_array_add (config->pools, pool);
        }
      else
        {
          bad (error, name, *g, NULL, _("unknown group; use [vfpool] or [pool NAME]"));
          return NULL;
        }
    }
  if (config->default_pool && !vfp_config_find_pool (config, config->default_pool))
    {
      bad (error, name, "vfpool", "default-pool", _("there is no [pool %s]"), config->default_pool);
      return NULL;
    }
  return g_steal_pointer (&config);
}

/* Loads PATH. A missing file is an empty configuration unless MUST_EXIST
 * (the user named it). A file that is a symlink, not a regular file, or
 * writable by others than its root owner is refused. */
VfpConfig *
vfp_config_load (const char *path, gboolean must_exist, GError **error)
{
  g_autofree char *data = NULL;
  struct stat st;
  int fd;
  gssize n;

  /* O_NONBLOCK: a FIFO would wait for a writer forever (and the hook with
   * it); the fstat below refuses it before anything is read */
  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int err = errno;

      if (err == ENOENT && !must_exist)
        return config_new (NULL);
      g_set_error (error, VFP_ERROR, err == ENOENT ? VFP_ERROR_NOT_FOUND : VFP_ERROR_UNSAFE,
                   err == ELOOP ? _("%s: refusing a configuration file that is a symlink.")
                                : _("%s: cannot open the configuration: %s"),
                   path, g_strerror (err));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE, _("%s: the configuration is not a regular file."), path);
      return NULL;
    }
  if (!vfp_trust_check (&st, path, VFP_TRUST_FILE, TRUE, error))
    {
      close (fd);
      return NULL;
    }
  if (st.st_size > CONFIG_MAX_SIZE)
    {
      close (fd);
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("%s: the configuration is larger than 1 MiB."), path);
      return NULL;
    }
  data = g_malloc (st.st_size + 1);
  n = read (fd, data, st.st_size);
  close (fd);
  if (n != st.st_size)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("%s: short read of the configuration."), path);
      return NULL;
    }
  data[n] = '\0';
  /* GKeyFile would stop reading at the NUL and drop the rest unseen */
  if (memchr (data, '\0', n) != NULL)
    {
      const char *nul = data + strlen (data);
      guint line = 1;
      const char *c;

      for (c = data; c < nul; c++)
        line += *c == '\n';
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s: line %u holds a NUL byte; a configuration is text. Remove the byte (it hides the rest of the file)."),
                   path, line);
      return NULL;
    }
  return vfp_config_load_data (data, path, error);
}

/* Matches one pfs= entry against the PFs of SYSFS. */
static gboolean
spec_matches (const char *spec, VfpPf *pf)
{
  guint v, d;
  char tail;

  if (vfp_addr_looks_like (spec))
    {
      VfpAddr a;

      vfp_addr_parse (spec, &a, NULL);
      return vfp_addr_equal (&a, &pf->fn.addr);
    }
  if (sscanf (spec, "%4x:%4x%c", &v, &d, &tail) == 2 && strlen (spec) == 9)
    return pf->fn.vendor_id == v && pf->fn.device_id == d;
  return g_strv_contains ((const char *const *) pf->fn.netdevs, spec);
}

/* Binds every pool to the PFs of SYSFS. Refused: a pool naming no existing
 * PF, a pfs= entry that matches nothing, a PF in two pools. */
gboolean
vfp_config_resolve (VfpConfig *config, VfpSysfs *sysfs, GError **error)
{
  g_autoptr (GHashTable) owner = g_hash_table_new (g_str_hash, g_str_equal);
  const char *file = config->path ? config->path : _("the configuration");
  guint i, j;
  char **s;

  for (i = 0; i < config->pools->len; i++)
    {
      VfpPoolConfig *pool = config->pools->pdata[i];
      g_autofree char *group = g_strconcat (POOL_PREFIX, pool->name, NULL);

      if (pool->pfs)
        g_ptr_array_unref (pool->pfs);
      pool->pfs = g_ptr_array_new ();
      for (s = pool->pf_specs; *s; s++)
        {
          gboolean found = FALSE;

          for (j = 0; j < sysfs->pfs->len; j++)
            {
              VfpPf *pf = sysfs->pfs->pdata[j];
              const char *other;

              if (!spec_matches (*s, pf))
                continue;
              found = TRUE;
              other = g_hash_table_lookup (owner, pf->fn.address);
              if (other != NULL && strcmp (other, pool->name) != 0)
                return bad (error, file, group, "pfs",
                            _("PF %s ('%s') is already in pool '%s'; a PF belongs to one pool"),
                            pf->fn.address, *s, other);
              if (other == NULL)
                {
                  g_hash_table_insert (owner, pf->fn.address, pool->name);
                  g_ptr_array_add (pool->pfs, pf);
                }
            }
          if (!found)
            return bad (error, file, group, "pfs",
                        _("'%s' names no SR-IOV PF on this host ('vfpool status' lists them)"), *s);
        }
    }
  return TRUE;
}

VfpPoolConfig *
vfp_config_find_pool (VfpConfig *config, const char *name)
{
  guint i;

  for (i = 0; i < config->pools->len; i++)
    if (strcmp (((VfpPoolConfig *) config->pools->pdata[i])->name, name) == 0)
      return config->pools->pdata[i];
  return NULL;
}

/* The pool NAME, or with NAME NULL the default pool (default-pool=, or the
 * only pool); an error tells what to write when there is none. */
VfpPoolConfig *
vfp_config_pool_for (VfpConfig *config, const char *name, GError **error)
{
  VfpPoolConfig *pool;

  if (name == NULL)
    name = config->default_pool;
  if (name == NULL && config->pools->len == 1)
    return config->pools->pdata[0];
  if (name == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   config->pools->len == 0
                   ? _("No pool is configured; add a [pool NAME] group with pfs= to %s.")
                   : _("Several pools are configured and none is the default; name one with --pool or set default-pool= in %s."),
                   config->path ? config->path : SYSCONFDIR "/vfpool/vfpool.conf");
      return NULL;
    }
  pool = vfp_config_find_pool (config, name);
  if (pool == NULL)
    g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                 _("There is no pool '%s' in %s."), name,
                 config->path ? config->path : SYSCONFDIR "/vfpool/vfpool.conf");
  return pool;
}

/* The pool that holds the PF at PF_ADDRESS, or NULL (after resolve). */
VfpPoolConfig *
vfp_config_pool_of_pf (VfpConfig *config, const char *pf_address)
{
  guint i, j;

  for (i = 0; i < config->pools->len; i++)
    {
      VfpPoolConfig *pool = config->pools->pdata[i];

      for (j = 0; pool->pfs && j < pool->pfs->len; j++)
        if (strcmp (((VfpPf *) pool->pfs->pdata[j])->fn.address, pf_address) == 0)
          return pool;
    }
  return NULL;
}

const char *
vfp_policy_name (VfpPolicy policy)
{
  return policy == VFP_POLICY_PACK ? "pack" : "spread";
}
