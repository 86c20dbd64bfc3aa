/*
 * Calls every operation of vectors.idl once or more, with fixed values, through the widl-built
 * client stub (so rpcrt4 marshals them), against record_server.mjs at ncacn_ip_tcp:127.0.0.1[PORT].
 * The values here are the ones tests/core/_rpc_widl_vectors.ts states; keep the two in step.
 * Prints what it decoded from op_out's response, one "name=value" per line.
 *   client.exe PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <rpc.h>
#include "vectors.h"

void __RPC_FAR *__RPC_USER MIDL_user_allocate(SIZE_T n) { return malloc(n); }
void __RPC_USER MIDL_user_free(void __RPC_FAR *p) { free(p); }

static int failures = 0;

/*
 * RpcTryExcept is SEH (__try/__except), which mingw-w64's gcc does not compile: a vectored
 * exception handler jumps back to the failing call instead (__builtin_longjmp restores registers
 * without unwinding, which is all a console program that only prints needs).
 */
static void *jump[5];
static volatile DWORD caught;

static LONG CALLBACK on_exception(EXCEPTION_POINTERS *e) {
    caught = e->ExceptionRecord->ExceptionCode;
    __builtin_longjmp(jump, 1);
    return EXCEPTION_CONTINUE_SEARCH;
}

#define CALL(label, expr)                                                       \
    do {                                                                        \
        caught = 0;                                                             \
        if (__builtin_setjmp(jump) == 0) {                                      \
            expr;                                                               \
            printf("ok %s\n", label);                                           \
        } else {                                                                \
            printf("FAILED %s: exception 0x%lx\n", label, (unsigned long)caught); \
            failures++;                                                         \
        }                                                                       \
        fflush(stdout);                                                         \
    } while (0)

static void print_w(const char *name, const wchar_t *s) {
    printf("%s=", name);
    if (!s) { printf("null\n"); return; }
    for (; *s; s++) printf("%04x ", (unsigned)*s);
    printf("\n");
}

int main(int argc, char **argv) {
    unsigned char *binding_str = NULL;
    handle_t b = NULL;
    RPC_STATUS st;
    if (argc < 2) { fprintf(stderr, "usage: client.exe PORT\n"); return 2; }
    AddVectoredExceptionHandler(1, on_exception);
    st = RpcStringBindingComposeA(NULL, (unsigned char *)"ncacn_ip_tcp", (unsigned char *)"127.0.0.1",
                                  (unsigned char *)argv[1], NULL, &binding_str);
    if (st) { printf("RpcStringBindingCompose %ld\n", st); return 1; }
    st = RpcBindingFromStringBindingA(binding_str, &b);
    if (st) { printf("RpcBindingFromStringBinding %ld\n", st); return 1; }
    vectors_binding = b; /* the implicit handle of vectors.acf */

    /* primitives */
    CALL("ints", op_ints(-2, (short)0x8765, 0x12345678, (hyper)0x0123456789abcdefLL, 0xfe, 0xbeef,
                         0xdeadbeefUL, 0xfedcba9876543210ULL));
    CALL("reals", op_reals('A', 1.5f, 'B', -2.25e10));
    CALL("chars", op_chars(TRUE, FALSE, 'z', 0x20ac, 0x80));
    CALL("enums", op_enums('e', PE_BIG, VE_NEG, PE_ONE));
    CALL("enums_big", op_enums('e', PE_ZERO, VE_BIG, PE_BIG));

    /* strings */
    CALL("wstr", op_wstr(L"h\u00e9llo \u20ac", L""));
    CALL("cstr", op_cstr("h\xe9llo", ""));

    /* pointers */
    {
        LONG v = 0x11223344;
        CALL("unique", op_unique(&v, NULL, L"ok", NULL));
    }
    {
        LONG v = 0x55667788, *pv = &v, *pn = NULL;
        CALL("ptrptr", op_ptrptr(&pv, &pn));
    }
    {
        padded p = { 'x', (hyper)0x0102030405060708LL, (short)-3 };
        CALL("ref_struct", op_ref_struct(&p, 'y'));
        CALL("padded", op_padded(p, 'y'));
    }
    {
        nested n = { 0x1111, { 'x', (hyper)-1LL, 0x2222 }, 'b' };
        small_long sl = { -5, 0x7eadbeef };
        CALL("nested", op_nested(n, sl));
    }
    {
        LONG a = 0x0a0a0a0a, c = 0x0c0c0c0c;
        CALL("full", op_full(&a, &a, &c, NULL));
        /* z: a top-level full pointer, also aliasing an embedded one in the first call */
        full_pair fp = { &a, &a };
        CALL("full_struct_alias", op_full_struct(&fp, &a));
        full_pair fp2 = { &a, &c };
        CALL("full_struct_two", op_full_struct(&fp2, NULL));
        full_pair fp3 = { NULL, &c };
        CALL("full_struct_null", op_full_struct(&fp3, NULL));
        small_long x = { 1, 0x0a0b0c0d }, y = { 2, 0x01020304 };
        CALL("full_obj", op_full_obj(&x, &x, &y));
    }
    {
        LONG r = 0x01010101;
        short u = 0x0202;
        with_ptrs w = { 7, &r, &u, L"n\u00e4me" };
        CALL("with_ptrs", op_with_ptrs(&w));
        with_ptrs w2 = { 8, &r, NULL, NULL };
        CALL("with_ptrs_nulls", op_with_ptrs(&w2));
    }
    {
        LONG p0 = 100, p2 = 300;
        item items[3] = { { &p0, "zero", 1 }, { NULL, "one", 2 }, { &p2, NULL, 3 } };
        CALL("items", op_items(3, items));
    }

    /* arrays */
    {
        short arr[5] = { 1, -2, 3, -4, 5 };
        CALL("conf", op_conf(5, arr));
        CALL("conf_empty", op_conf(0, arr));
    }
    {
        short arr[10] = { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 };
        CALL("vary", op_vary(3, arr));
    }
    {
        LONG arr[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        CALL("confvary", op_confvary(4, 4, arr));
        CALL("confvary_partial", op_confvary(8, 3, arr));
    }
    {
        conf_struct *cs = malloc(sizeof(conf_struct) + 2 * sizeof(hyper));
        cs->c = 'c';
        cs->n = 3;
        cs->data[0] = 0x1111111111111111LL;
        cs->data[1] = 0x2222222222222222LL;
        cs->data[2] = 0x3333333333333333LL;
        CALL("conf_struct", op_conf_struct(cs));
        free(cs);
    }
    {
        vary_struct vs = { 0x7777, 2, { 9, 8, 7, 6, 5, 4 }, 'a' };
        CALL("vary_struct", op_vary_struct(&vs));
        vary_struct2 vs2 = { 2, { 9, 8, 7, 6, 5, 4 } };
        CALL("vary_struct2", op_vary_struct2(&vs2));
    }

    /* unions */
    {
        union_l u;
        u.c = 'q';
        CALL("union_long_char", op_union_long(1, &u, 'z'));
        u.h = (hyper)0x0102030405060708LL;
        CALL("union_long_hyper", op_union_long(2, &u, 'z'));
        u.s = 0x1234;
        CALL("union_long_short", op_union_long(3, &u, 'z'));
        CALL("union_long_empty", op_union_long(4, &u, 'z'));
        u.d = -7;
        CALL("union_long_default", op_union_long(99, &u, 'z'));
    }
    {
        union_s u;
        u.d = 0.5;
        CALL("union_short_double", op_union_short(1, &u, 'z'));
        u.s = L"s\u00df";
        CALL("union_short_string", op_union_short(2, &u, 'z'));
        u.c = 'c';
        CALL("union_short_char", op_union_short(3, &u, 'z'));
        CALL("union_short_default", op_union_short(9, &u, 'z'));
    }
    {
        with_union w;
        w.pre = 'p';
        w.k = 1;
        w.u.c = 'c';
        w.post = 'q';
        CALL("with_union_char", op_with_union(&w));
        w.k = 2;
        w.u.h = 0x0102030405060708LL;
        CALL("with_union_hyper", op_with_union(&w));
    }
    {
        enc_union e;
        e.kind = 1;
        e.arm.s = 0x4321;
        CALL("enc_short", op_enc_union(&e, 'z'));
        e.kind = 2;
        e.arm.h = (hyper)0x1122334455667788LL;
        CALL("enc_hyper", op_enc_union(&e, 'z'));
        e.kind = 3;
        e.arm.c = 'c';
        CALL("enc_char", op_enc_union(&e, 'z'));
        e.kind = 5;
        CALL("enc_default", op_enc_union(&e, 'z'));
        with_enc we;
        we.pre = 'p';
        we.e.kind = 3;
        we.e.arm.c = 'c';
        we.post = 'q';
        CALL("with_enc_char", op_with_enc(&we));
        we.e.kind = 2;
        we.e.arm.h = 0x0102030405060708LL;
        CALL("with_enc_hyper", op_with_enc(&we));
    }

    /* context handles */
    {
        ctx_t h = NULL;
        CALL("open", op_open(&h));
        if (h) CALL("use", op_use(h, 0x600d));
        else { printf("FAILED use: no context handle\n"); failures++; }
    }

    /* alignment across parameters */
    CALL("mixed", op_mixed('m', (hyper)0x0807060504030201LL, (short)0xabcd, "str", 0x01020304));

    /* the response direction: rpcrt4 decodes bytes our encoder produced */
    {
        out_struct o;
        wchar_t *s = NULL;
        memset(&o, 0, sizeof o);
        CALL("out", op_out(&o, &s));
        printf("out.n=%ld\n", (long)o.n);
        printf("out.u=%s%d\n", o.u ? "" : "null", o.u ? (int)*o.u : 0);
        print_w("out.name", o.name);
        printf("out.h=%016llx\n", (unsigned long long)o.h);
        print_w("out.s", s);
    }

    /* epmapper's ept_insert: one entry, then two (the second with no tower) */
    {
        static const guid_t obj = { 0x01234567, 0x89ab, 0xcdef, { 0, 1, 2, 3, 4, 5, 6, 7 } };
        twr_t *t = malloc(sizeof(twr_t) + 7);
        unsigned long status = 0;
        ept_entry_t e[2];
        t->tower_length = 7;
        for (int i = 0; i < 7; i++) t->tower_octet_string[i] = (byte)(0xa1 + i);
        memset(e, 0, sizeof e);
        e[0].object = obj;
        e[0].tower = t;
        strcpy((char *)e[0].annotation, "winipc test");
        CALL("ept_insert", op_ept_insert(1, e, 0, &status));
        e[1].tower = NULL;
        strcpy((char *)e[1].annotation, "");
        CALL("ept_insert_two", op_ept_insert(2, e, 1, &status));
        free(t);
    }

    /* an explicit handle_t parameter */
    CALL("explicit", op_explicit(b, 'e', (hyper)0x1122334455667788LL));

    RpcBindingFree(&b);
    RpcStringFreeA(&binding_str);
    printf("done failures=%d\n", failures);
    return failures ? 1 : 0;
}
