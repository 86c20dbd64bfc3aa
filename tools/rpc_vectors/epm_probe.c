/*
 * Calls ept_insert (epm_probe.idl) through rpcrt4, with the values of client.c's "ept_insert":
 *   epm_probe.exe ncacn_np \\pipe\\epmapper         Wine's rpcss
 *   epm_probe.exe ncacn_ip_tcp PORT 127.0.0.1    record_server.mjs (records the stub data)
 * Prints the status rpcss returned, or the exception the call raised (0x6c6: a fault
 * nca_s_fault_invalid_bound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <rpc.h>
#include "epm_probe.h"
void __RPC_FAR *__RPC_USER MIDL_user_allocate(SIZE_T n) { return malloc(n); }
void __RPC_USER MIDL_user_free(void __RPC_FAR *p) { free(p); }
static void *jump[5];
static volatile DWORD caught;
static LONG CALLBACK on_exception(EXCEPTION_POINTERS *e) {
    caught = e->ExceptionRecord->ExceptionCode;
    __builtin_longjmp(jump, 1);
    return EXCEPTION_CONTINUE_SEARCH;
}
int main(int argc, char **argv) {
    unsigned char *s = NULL; handle_t b = NULL; RPC_STATUS st;
    const char *proto = argc > 1 ? argv[1] : "ncacn_np", *ep = argc > 2 ? argv[2] : "\\pipe\\epmapper";
    AddVectoredExceptionHandler(1, on_exception);
    st = RpcStringBindingComposeA(NULL, (unsigned char *)proto, (unsigned char *)(argc > 3 ? argv[3] : NULL), (unsigned char *)ep, NULL, &s);
    st = st ? st : RpcBindingFromStringBindingA(s, &b);
    if (st) { printf("binding %ld\n", st); return 1; }
    static const guid_t obj = { 0x01234567, 0x89ab, 0xcdef, { 0, 1, 2, 3, 4, 5, 6, 7 } };
    twr_t *t = malloc(sizeof(twr_t) + 7);
    unsigned long status = 0xffffffff;
    ept_entry_t e[1];
    t->tower_length = 7;
    for (int i = 0; i < 7; i++) t->tower_octet_string[i] = (byte)(0xa1 + i);
    memset(e, 0, sizeof e);
    e[0].object = obj; e[0].tower = t;
    strcpy((char *)e[0].annotation, "winipc test");
    caught = 0;
    if (__builtin_setjmp(jump) == 0) {
        ept_insert(b, 1, e, 0, &status);
        printf("ept_insert returned, status=0x%lx\n", status);
    } else printf("ept_insert raised 0x%lx (%lu)\n", (unsigned long)caught, (unsigned long)caught);
    fflush(stdout);
    return 0;
}
