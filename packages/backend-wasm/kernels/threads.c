/*
 * What the multi-threaded variant needs beyond the kernels: every instance on the
 * shared memory runs on its own stack, set here by the worker that owns it (the
 * linker's __stack_pointer starts at the same address in every instance).
 */
#include "walk.h"

__asm__(".globaltype __stack_pointer, i32");

EXPORT(set_stack_pointer)(void *top) {
  __asm__ volatile("local.get %0\n\tglobal.set __stack_pointer" : : "r"(top));
}
