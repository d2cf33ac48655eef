/*
 * An existing interface header to adopt pvabi from (README, "Adopting pvabi
 * from a C header"). The record follows struct kvm_steal_time in
 * torvalds/linux: arch/x86/include/uapi/asm/kvm_para.h, written here with
 * <stdint.h> types: the hypervisor reports how long a vCPU was runnable but
 * not running.
 */
#ifndef EXAMPLE_KVM_STEAL_TIME_H
#define EXAMPLE_KVM_STEAL_TIME_H

#include <stdint.h>

struct kvm_steal_time {
    uint64_t steal;
    uint32_t version;
    uint32_t flags;
    uint8_t preempted;
    uint8_t u8_pad[3];
    uint32_t pad[11];
};

#endif
