/* ffi.c: foreign functions (include/vi/ffi.h).
 *
 * vi_ffi_open resolves a `= extern("lib.so", "sym", grad = "sym_grad")`
 * declaration once per model: dlopen (the model's directory first, then the
 * system search), dlsym of the value and gradient symbols, the optional
 * `<sym>_signature` check, and one libffi call interface for the value
 * function and one for the gradient, built from the declared signature.
 *
 * vi_ffi_call records ONE tape node per call. Its operands are the real
 * arguments (contiguous after vi_val_contig); the libffi argument-value array
 * is built once, in the evaluation arena, when the node is recorded and it
 * points straight at the operands' value buffers, so a replay of the tape
 * calls the C function with the new values and allocates nothing.
 *   forward:  y = f(args)                  (NaN: the node fails, the draw is rejected)
 *   backward: aux = f_grad(args) (m x P);  dx_k += sum_j dy_j * aux[j*P + k]
 * where m is the output length and P the number of real argument elements.
 * Functions of up to FFI_DIRECT_MAX real scalars returning real are called
 * through a typed function pointer instead of ffi_call (see below). */
#include "vi/ffi.h"

#include <dlfcn.h>
#include <ffi.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum ffi_kind {
  FK_REAL,     /* real:                         double */
  FK_INT,      /* int:                          int */
  FK_REALS,    /* vector, row_vector, real[]:   const double *, int */
  FK_INTS      /* int[]:                        const int *, int */
};

struct vi_ffi_fn {
  void *lib;                 /* dlopen handle */
  void (*val)(void);         /* value function */
  void (*grad)(void);        /* gradient function, or NULL */
  char *name;                /* model-side name, e.g. "hill" (heap, in this block) */
  struct vi_type ret;        /* declared result type */
  int ret_kind;              /* enum ffi_kind: FK_REAL, FK_INT or FK_REALS */
  int nparams;
  uint8_t *kind;             /* nparams enum ffi_kind */
  int nreal;                 /* parameters of kind FK_REAL or FK_REALS */
  int nav;                   /* C arguments of the value function */
  ffi_type **atypes;         /* nav + 1: the gradient takes one more (double *grad) */
  ffi_cif cif, gcif;
  int direct;                /* 1..FFI_DIRECT_MAX: real(real, ...) called without libffi */
};

/* Signatures of only real scalars (hill(x, k, n)) up to this many arguments
 * are called through a function pointer of the declared type: the same call
 * libffi would make (it too trusts the declaration), without the ~90 ns libffi
 * spends per call on interpreting the call interface. */
enum { FFI_DIRECT_MAX = 4 };

/* Per-node state, in the evaluation arena: the argument-value array shared by
 * the value call (first nav entries) and the gradient call (all nav + 1). */
struct ffi_node {
  const struct vi_ffi_fn *f;
  void **av;
  size_t p;                  /* real argument elements: columns of the gradient */
  double *gptr;              /* the gradient buffer (n->aux), passed by address */
};

/* One pointer- or int-sized argument slot that av[] points at. */
union ffi_slot {
  const void *p;
  int i;
};

static int is_reals(struct vi_type t) {
  return (t.ndims == 0 && (t.base == VI_T_VECTOR || t.base == VI_T_ROW_VECTOR)) ||
         (t.ndims == 1 && t.base == VI_T_REAL);
}

/* Kind of a declared parameter or result type, or -1 with *why set. */
static int type_kind(struct vi_type t, const char **why) {
  if (t.base == VI_T_MATRIX) {
    *why = "matrix arguments are not supported for foreign functions";
    return -1;
  }
  if (t.ndims == 0 && t.base == VI_T_REAL) return FK_REAL;
  if (t.ndims == 0 && t.base == VI_T_INT) return FK_INT;
  if (is_reals(t)) return FK_REALS;
  if (t.ndims == 1 && t.base == VI_T_INT) return FK_INTS;
  *why = t.ndims ? "arrays of containers and multi-dimensional arrays are not supported for "
                   "foreign functions (pass a flat vector or array[] real)"
                 : "this type is not supported for foreign functions";
  return -1;
}

/* "real(real, vector, array[] int)" into buf. */
static void format_sig(const struct vi_fundef *fd, char *buf, size_t cap) {
  char tb[64];
  size_t k = (size_t)snprintf(buf, cap, "%s(", vi_type_str(fd->ret, tb));
  for (int i = 0; i < fd->nparams && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", vi_type_str(fd->params[i].type, tb));
  if (k < cap) snprintf(buf + k, cap - k, ")");
}

/* Equal ignoring white space. */
static int sig_equal(const char *a, const char *b) {
  for (;;) {
    while (*a == ' ' || *a == '\t' || *a == '\n') a++;
    while (*b == ' ' || *b == '\t' || *b == '\n') b++;
    if (*a != *b) return 0;
    if (!*a) return 1;
    a++;
    b++;
  }
}

/* dlopen: lib relative to model_dir when that file exists, else the system
 * search. NULL with the dlerror text in err. */
static void *open_lib(const char *lib, const char *model_dir, char *err, size_t cap) {
  if (lib[0] != '/' && model_dir && model_dir[0]) {
    size_t n = strlen(model_dir) + strlen(lib) + 2;
    char *path = malloc(n);
    if (!path) {
      snprintf(err, cap, "out of memory");
      return NULL;
    }
    snprintf(path, n, "%s/%s", model_dir, lib);
    if (access(path, F_OK) == 0) {
      void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        const char *e = dlerror();
        snprintf(err, cap, "%s", e ? e : "unknown error");
      }
      free(path);
      return h;
    }
    free(path);
  }
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    snprintf(err, cap, "%s", e ? e : "unknown error");
  }
  return h;
}

static void *find_sym(void *lib, const char *sym) {
  dlerror();
  return dlsym(lib, sym);
}

/* ISO C forbids converting an object pointer to a function pointer with a
 * cast; dlsym's result is copied instead (POSIX guarantees it works). */
static void (*as_fn(void *p))(void) {
  void (*fn)(void);
  memcpy(&fn, &p, sizeof fn);
  return fn;
}

int vi_ffi_open(const struct vi_fundef *fd, const char *model_dir, struct vi_ffi_fn **out,
                struct vi_diags *d) {
  *out = NULL;
  if (!fd->ext_lib || !fd->ext_sym) {
    vi_error(d, fd->loc, "'%s' is not a foreign function", fd->name ? fd->name : "?");
    return VI_ERR_TYPE;
  }
  /* the declared signature, before touching the library */
  int bad = 0, nav = 0, nreal = 0;
  const char *why = NULL;
  for (int i = 0; i < fd->nparams; i++) {
    int k = type_kind(fd->params[i].type, &why);
    if (k < 0) {
      char tb[64];
      vi_error(d, fd->ext_loc, "%s (argument '%s' of '%s' is %s)", why, fd->params[i].name, fd->name,
               vi_type_str(fd->params[i].type, tb));
      bad = 1;
      continue;
    }
    nav += k == FK_REAL || k == FK_INT ? 1 : 2;
    nreal += k == FK_REAL || k == FK_REALS;
  }
  int rk = -1;
  if (fd->ret.base == VI_T_VOID) {
    vi_error(d, fd->ext_loc, "a foreign function must return a value ('%s' is declared void)", fd->name);
    bad = 1;
  } else {
    rk = type_kind(fd->ret, &why);
    if (rk == FK_INTS || (rk < 0 && fd->ret.base != VI_T_MATRIX)) {
      char tb[64];
      vi_error(d, fd->ext_loc, "foreign functions return real, int, vector, row_vector or array[] real, "
               "not %s ('%s')", vi_type_str(fd->ret, tb), fd->name);
      bad = 1;
    } else if (rk < 0) {
      vi_error(d, fd->ext_loc, "matrix results are not supported for foreign functions ('%s')", fd->name);
      bad = 1;
    }
  }
  if (!bad && rk == FK_REALS) {
    int has = 0;
    for (int i = 0; i < fd->nparams; i++) {
      int k = type_kind(fd->params[i].type, &why);
      has |= k == FK_REALS || k == FK_INTS;
    }
    if (!has) {
      vi_error(d, fd->ext_loc, "a foreign function returning a container takes its length from its "
               "first container argument, and '%s' has none", fd->name);
      bad = 1;
    }
  }
  if (!bad && rk == FK_INT && fd->ext_grad) {
    vi_error(d, fd->ext_loc, "'%s' returns int, so it has no gradient (remove grad = \"%s\")", fd->name,
             fd->ext_grad);
    bad = 1;
  }
  if (bad) return VI_ERR_TYPE;
  if (rk == FK_REALS) nav += 2;

  char err[512];
  if (!fd->ext_lib[0]) { /* dlopen would hand back the running program */
    vi_error(d, fd->ext_loc, "cannot open shared library '': the library name is empty");
    return VI_ERR_TYPE;
  }
  void *lib = open_lib(fd->ext_lib, model_dir, err, sizeof err);
  if (!lib) {
    vi_error(d, fd->ext_loc, "cannot open shared library '%s': %s", fd->ext_lib, err);
    return VI_ERR_TYPE;
  }
  void *val = find_sym(lib, fd->ext_sym);
  if (!val) {
    vi_error(d, fd->ext_loc, "no symbol '%s' in '%s'", fd->ext_sym, fd->ext_lib);
    bad = 1;
  }
  void *grad = NULL;
  if (fd->ext_grad) {
    grad = find_sym(lib, fd->ext_grad);
    if (!grad) {
      vi_error(d, fd->ext_loc, "no gradient symbol '%s' in '%s'", fd->ext_grad, fd->ext_lib);
      bad = 1;
    }
  }
  if (!bad) {
    /* optional: const char *<sym>_signature = "real(real, real)"; */
    size_t ns = strlen(fd->ext_sym) + sizeof "_signature";
    char *sname = malloc(ns);
    if (sname) {
      snprintf(sname, ns, "%s_signature", fd->ext_sym);
      const char *const *sig = find_sym(lib, sname);
      if (sig && *sig) {
        char decl[1024];
        format_sig(fd, decl, sizeof decl);
        if (!sig_equal(decl, *sig)) {
          vi_error(d, fd->ext_loc, "signature mismatch for '%s': the model declares %s but '%s' says %s (%s)",
                   fd->name, decl, fd->ext_lib, *sig, sname);
          bad = 1;
        }
      }
      free(sname);
    }
  }
  if (bad) {
    dlclose(lib);
    return VI_ERR_TYPE;
  }

  size_t nlen = strlen(fd->name) + 1;
  size_t np = fd->nparams > 0 ? (size_t)fd->nparams : 1;
  struct vi_ffi_fn *f = calloc(1, sizeof *f);
  char *name = malloc(nlen);
  uint8_t *kind = malloc(np);
  ffi_type **at = malloc((size_t)(nav + 1) * sizeof *at);
  if (!f || !name || !kind || !at) {
    free(f);
    free(name);
    free(kind);
    free(at);
    dlclose(lib);
    vi_error(d, fd->ext_loc, "out of memory");
    return VI_ERR_NOMEM;
  }
  memcpy(name, fd->name, nlen);
  f->lib = lib;
  f->val = as_fn(val);
  f->grad = grad ? as_fn(grad) : NULL;
  f->name = name;
  f->ret = fd->ret;
  f->ret_kind = rk;
  f->nparams = fd->nparams;
  f->kind = kind;
  f->nreal = nreal;
  f->nav = nav;
  f->atypes = at;
  int j = 0;
  for (int i = 0; i < fd->nparams; i++) {
    kind[i] = (uint8_t)type_kind(fd->params[i].type, &why);
    switch (kind[i]) {
    case FK_REAL: at[j++] = &ffi_type_double; break;
    case FK_INT: at[j++] = &ffi_type_sint32; break;
    default: at[j++] = &ffi_type_pointer; at[j++] = &ffi_type_sint32; break;
    }
  }
  if (rk == FK_REALS) {
    at[j++] = &ffi_type_pointer;
    at[j++] = &ffi_type_sint32;
  }
  at[j] = &ffi_type_pointer; /* the gradient's double *grad */
  int scalars = 0;
  for (int i = 0; i < fd->nparams; i++) scalars += kind[i] == FK_REAL;
  if (rk == FK_REAL && scalars == fd->nparams && fd->nparams >= 1 && fd->nparams <= FFI_DIRECT_MAX)
    f->direct = fd->nparams;
  ffi_type *rt = rk == FK_REAL ? &ffi_type_double : rk == FK_INT ? &ffi_type_sint32 : &ffi_type_void;
  if (ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)nav, rt, at) != FFI_OK ||
      ffi_prep_cif(&f->gcif, FFI_DEFAULT_ABI, (unsigned)nav + 1, &ffi_type_void, at) != FFI_OK) {
    vi_error(d, fd->ext_loc, "libffi cannot build a call interface for '%s'", fd->name);
    vi_ffi_close(f);
    return VI_ERR_TYPE;
  }
  *out = f;
  return VI_OK;
}

void vi_ffi_close(struct vi_ffi_fn *f) {
  if (!f) return;
  if (f->lib) dlclose(f->lib);
  free(f->name);
  free(f->kind);
  free(f->atypes);
  free(f);
}

int vi_ffi_has_grad(const struct vi_ffi_fn *f) { return f && f->grad != NULL; }

/* y = f(args); fails on NaN so the draw is rejected. */
static int ffi_fwd(struct vi_node *n) {
  const struct ffi_node *s = n->p;
  const struct vi_ffi_fn *f = s->f;
  const struct vi_arg *a = n->a;
  if (f->direct) {
    switch (f->direct) {
    case 1: n->y[0] = ((double (*)(double))f->val)(a[0].x[0]); break;
    case 2: n->y[0] = ((double (*)(double, double))f->val)(a[0].x[0], a[1].x[0]); break;
    case 3: n->y[0] = ((double (*)(double, double, double))f->val)(a[0].x[0], a[1].x[0], a[2].x[0]); break;
    default:
      n->y[0] = ((double (*)(double, double, double, double))f->val)(a[0].x[0], a[1].x[0], a[2].x[0], a[3].x[0]);
      break;
    }
  } else if (f->ret_kind == FK_REAL) {
    double r = 0;
    ffi_call((ffi_cif *)&f->cif, f->val, &r, s->av);
    n->y[0] = r;
  } else {
    ffi_arg dummy;
    ffi_call((ffi_cif *)&f->cif, f->val, &dummy, s->av);
  }
  for (size_t j = 0; j < n->n; j++)
    if (isnan(n->y[j]))
      return n->n == 1 ? vi_node_fail(n, "%s returned NaN", f->name)
                       : vi_node_fail(n, "%s returned NaN in element %zu", f->name, j + 1);
  return 0;
}

/* aux = d y / d (real argument elements), m x P row-major;
 * a_i.dx[k] += sum_j dy_j * aux[j*P + off_i + k] */
static void ffi_bwd(struct vi_node *n) {
  struct ffi_node *s = (struct ffi_node *)n->p;
  const struct vi_ffi_fn *f = s->f;
  size_t p = s->p;
  const struct vi_arg *a = n->a;
  double *g = n->aux;
  memset(g, 0, n->naux * sizeof *g);
  if (f->direct) {
    switch (f->direct) {
    case 1: ((void (*)(double, double *))f->grad)(a[0].x[0], g); break;
    case 2: ((void (*)(double, double, double *))f->grad)(a[0].x[0], a[1].x[0], g); break;
    case 3: ((void (*)(double, double, double, double *))f->grad)(a[0].x[0], a[1].x[0], a[2].x[0], g); break;
    default:
      ((void (*)(double, double, double, double, double *))f->grad)(a[0].x[0], a[1].x[0], a[2].x[0], a[3].x[0], g);
      break;
    }
  } else {
    ffi_arg dummy;
    ffi_call((ffi_cif *)&f->gcif, f->grad, &dummy, s->av);
  }
  size_t off = 0;
  for (int i = 0; i < n->na; i++) {
    if (a[i].dx)
      for (size_t k = 0; k < a[i].n; k++) {
        double t = 0;
        for (size_t j = 0; j < n->n; j++) t += n->dy[j] * g[j * p + off + k];
        a[i].dx[k] += t;
      }
    off += a[i].n;
  }
}

static const struct vi_opdef ffi_op = {"foreign function", ffi_fwd, ffi_bwd};

/* The libffi argument-value array (f->nav entries, plus a free last one for
 * the gradient's grad pointer), in the arena. Real scalars are read in place
 * from the (contiguous) argument, so a replay passes the new values; pointer
 * and length slots live in the arena; int arrays are copied, so a later
 * assignment to the array does not reach a replay. out (length m) is the
 * result buffer of a container result. NULL when out of memory. */
static void **build_args(struct vi_ctx *c, const struct vi_ffi_fn *f, struct vi_val *args, double *out, size_t m) {
  union ffi_slot *slot = vi_arena_array(c->arena, (size_t)f->nav + 1, sizeof *slot);
  void **av = vi_arena_array(c->arena, (size_t)f->nav + 1, sizeof *av);
  if (!slot || !av) return NULL;
  int j = 0;
  for (int i = 0; i < f->nparams; i++) {
    struct vi_val *v = &args[i];
    switch (f->kind[i]) {
    case FK_REAL: av[j++] = v->x; break;
    case FK_INT:
      slot[j].i = v->ix[0];
      av[j] = &slot[j].i;
      j++;
      break;
    case FK_REALS:
      slot[j].p = v->x;
      av[j] = &slot[j].p;
      j++;
      slot[j].i = (int)v->n;
      av[j] = &slot[j].i;
      j++;
      break;
    default: {
      int *copy = vi_arena_array(c->arena, v->n ? v->n : 1, sizeof *copy);
      if (!copy) return NULL;
      if (v->n) memcpy(copy, v->ix, v->n * sizeof *copy);
      slot[j].p = copy;
      av[j] = &slot[j].p;
      j++;
      slot[j].i = (int)v->n;
      av[j] = &slot[j].i;
      j++;
      break;
    }
    }
  }
  if (f->ret_kind == FK_REALS) {
    slot[j].p = out;
    av[j] = &slot[j].p;
    slot[j + 1].i = (int)m;
    av[j + 1] = &slot[j + 1].i;
  }
  return av;
}

int vi_ffi_call(struct vi_ctx *c, const struct vi_ffi_fn *f, struct vi_val *args, int nargs, struct vi_val *out,
                struct vi_srcloc loc) {
  if (nargs != f->nparams)
    return vi_ctx_error(c, loc, "%s: expected %d arguments, found %d", f->name, f->nparams, nargs);
  /* lengths, and the output length: the first container argument's */
  size_t m = 1, p = 0;
  int have_m = 0;
  for (int i = 0; i < nargs; i++) {
    struct vi_val *v = &args[i];
    int k = f->kind[i];
    if (k == FK_INT || k == FK_INTS) {
      if (!v->ix || (k == FK_INT && v->n != 1))
        return vi_ctx_error(c, loc, "%s: argument %d must be %s", f->name, i + 1, k == FK_INT ? "an int" : "an int array");
    } else {
      int st = vi_val_contig(c, v, loc);
      if (st) return st;
      if (k == FK_REAL && v->n != 1)
        return vi_ctx_error(c, loc, "%s: argument %d must be a real", f->name, i + 1);
      p += v->n;
    }
    if (v->n > INT_MAX)
      return vi_ctx_error(c, loc, "%s: argument %d has %zu elements, more than a C int can count", f->name, i + 1, v->n);
    if ((k == FK_REALS || k == FK_INTS) && !have_m) {
      m = v->n;
      have_m = 1;
    }
  }
  if (f->ret_kind != FK_REALS) m = 1;

  /* int result: a constant, nothing recorded */
  if (f->ret_kind == FK_INT) {
    void **av = build_args(c, f, args, NULL, 0);
    if (!av) return vi_ctx_error(c, loc, "out of memory");
    ffi_arg r = 0;
    ffi_call((ffi_cif *)&f->cif, f->val, &r, av);
    if (c->tape && !c->dynamic)
      for (int i = 0; i < nargs; i++)
        if (!vi_val_is_const(&args[i])) c->dynamic = 1; /* an int computed from a parameter: no replay */
    memset(out, 0, sizeof *out);
    return vi_val_int_scalar(c, out, (int)(int32_t)r);
  }

  struct vi_node *n = vi_node_new(c, &ffi_op, f->nreal, m, loc);
  if (!n) return VI_ERR_NOMEM;
  n->fname = NULL; /* messages name the function themselves */
  struct ffi_node *s = vi_arena_alloc(c->arena, sizeof *s);
  void **av = build_args(c, f, args, n->y, m);
  if (!s || !av) return vi_ctx_error(c, loc, "out of memory");
  for (int i = 0, r = 0; i < nargs; i++)
    if (f->kind[i] == FK_REAL || f->kind[i] == FK_REALS) vi_node_arg(n, r++, &args[i]);
  s->f = f;
  s->av = av;
  s->p = p;
  n->p = s;
  if (c->tape && vi_node_is_var(n)) {
    if (!f->grad)
      return vi_ctx_error(c, loc, "%s has no gradient function, but an argument depends on the parameters "
                          "(declare it with grad = \"...\")", f->name);
    if (p && m > SIZE_MAX / sizeof(double) / p) return vi_ctx_error(c, loc, "%s: gradient too large", f->name);
    int st = vi_node_aux(c, n, m * p);
    if (st) return st;
    s->gptr = n->aux;
    av[f->nav] = &s->gptr;
  }
  int st = vi_node_run(c, n, out);
  if (st) return st;
  if (f->ret_kind == FK_REAL) {
    out->t = (struct vi_type){VI_T_REAL, 0};
    out->n = 1;
  } else {
    int dim = (int)m;
    vi_val_set_shape(out, f->ret, &dim);
  }
  out->s = NULL;
  return VI_OK;
}
