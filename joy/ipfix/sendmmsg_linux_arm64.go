package ipfix

// sysSendmmsg is sendmmsg(2) on linux/arm64 (the syscall package lacks it).
const sysSendmmsg = 269
