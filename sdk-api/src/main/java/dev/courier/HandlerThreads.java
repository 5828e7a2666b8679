package dev.courier;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The threads running a handler right now, so close() can interrupt the ones still running at its
 * deadline. A slot is interrupted only while its handler runs: the interrupt never reaches a pool
 * thread that has moved on to other work, and a thread leaves the handler with its flag cleared.
 *
 * <p>Each thread has one slot, registered the first time it runs a handler of this bus and reused
 * for every later run (entering and leaving it is one uncontended lock, not a set insert and
 * removal per message); slots of threads that ended are dropped when a new thread registers. Internal.
 */
final class HandlerThreads {
    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Slot> mine = new ThreadLocal<>();

    /** The handler runs of one thread. */
    static final class Slot {
        private final Thread thread;
        private int running; // handler runs in progress on the thread (nested when a handler runs one inline)
        private boolean interrupted;

        private Slot(Thread thread) {
            this.thread = thread;
        }

        synchronized void enter() {
            running++;
        }

        synchronized boolean interrupt() {
            if (running == 0) {
                return false;
            }
            interrupted = true;
            thread.interrupt();
            return true;
        }

        synchronized void leave() {
            running--;
            if (interrupted) {
                interrupted = false;
                Thread.interrupted(); // the interrupt was for the handler, not for the thread's next task
            }
        }
    }

    /** Called by the handler's thread just before the handler runs. */
    Slot enter() {
        Slot s = mine.get();
        if (s == null) {
            slots.removeIf(old -> !old.thread.isAlive());
            s = new Slot(Thread.currentThread());
            slots.add(s);
            mine.set(s);
        }
        s.enter();
        return s;
    }

    /** Called by the same thread when the handler has returned or thrown. */
    void leave(Slot s) {
        s.leave();
    }

    /** Interrupts every handler still running; returns how many threads. */
    int interruptAll() {
        int n = 0;
        for (Slot s : slots) {
            if (s.interrupt()) {
                n++;
            }
        }
        return n;
    }
}
