# Cross-compiling for aarch64 with Debian's cross compiler and the arm64
# libraries installed through multiarch (/usr/lib/aarch64-linux-gnu);
# scripts/test-aarch64 sets it up. Tests run under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# CTest runs every test binary (and GoogleTest's discovery) through qemu.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
# Libraries and packages of the target only; programs of the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
