package ingest

import "syscall"

// mapPopulate asks mmap to map every page of the slots up front.
const mapPopulate = syscall.MAP_POPULATE
