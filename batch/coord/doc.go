// Package coord shares one run's batches among many processes, on many
// machines, through Redis: a work queue with leases and acks, so that a
// killed worker's batch is redone by another and no batch is lost or
// counted twice.
//
// # The queue
//
// A run is a Redis Stream with one entry per batch, read by one consumer
// group. Enqueue adds the entries with explicit IDs made from the batch
// index, under a SET NX lock: any number of processes may call it, and
// one cut short by a kill is finished by the next without duplicates.
//
// A worker leases a batch with Lease (XREADGROUP for a new entry, or
// XAUTOCLAIM for one whose holder has been silent past the lease
// timeout), keeps the lease alive with Heartbeat (XCLAIM … JUSTID on its
// own entries only, which resets their idle time without raising their
// delivery count), and calls Ack only after the batch's file is durably
// committed. Ack acknowledges the entry, sets the batch's done bit and
// adds the batch's counts to the run's in one Lua script: atomic like a
// MULTI, and conditional, so that a batch finished twice (by a slow
// holder and the worker that took it over) is counted once. A leased
// batch whose done bit is set is acknowledged without work. A batch
// delivered more than MaxDeliveries times (it keeps killing its workers)
// comes back with Poison set: the caller dead-letters its nodes and acks
// it.
//
// Delivery is at least once: every write a worker makes is keyed by the
// batch, so the output store, not Redis, is the truth. RunJob's workers
// all write into the job's one output folder (store.Shared), where a
// batch is published once, atomically, and the first publish wins: a
// redone batch finds its files and adopts them, and a slow holder's late
// copy is dropped, so no batch file is ever written twice.
//
// # Finalizing
//
// The ack that sets the last done bit elects its worker (the script takes
// sl:{R}:final for it, for the lease timeout, renewed by its heartbeat).
// That worker writes the folder's manifest and merged dead letters; the
// others wait for meta's finalized flag. A finalizer that dies lets the
// lock expire, and a waiting worker, or a process started later, takes
// it (ClaimFinal) and finalizes again: finalizing is idempotent, so
// whatever the dead one wrote is overwritten with the same bytes. Redis,
// not a file lock, decides who finalizes: flock(2) on NFS is unreliable.
//
// # Keys
//
// Every key of run R carries the hash tag {R}, so that a cluster keeps a
// run on one slot:
//
//	sl:{R}:q        stream, one entry per batch, ID "<index+1>-1"; group "workers"
//	sl:{R}:meta     hash: total (batches), enqueued (entries added), job (fingerprint),
//	                started (ms), lease_ms, budget (its name), finalized
//	sl:{R}:enqlock  string, the enqueue lock (SET NX PX)
//	sl:{R}:done     bitmap, bit i set when batch i is acknowledged
//	sl:{R}:stats    hash: batches, nodes_ok, nodes_dead, requests, status429, quarantined
//	sl:{R}:poison   set of quarantined batch indexes
//	sl:{R}:workers  hash: consumer -> "<heartbeat ms, Redis clock> <held batches>"
//	sl:{R}:final    string, the consumer that finalizes the run (PX the lease timeout)
//
// Redis must run with AOF (appendonly yes) and maxmemory-policy
// noeviction: an evicted done bitmap or a lost stream would redo or skip
// batches. CheckServer reports a server that runs otherwise.
package coord
