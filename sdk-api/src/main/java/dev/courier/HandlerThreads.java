package dev.courier;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The threads running a handler right now, so close() can interrupt the ones still running at its
 * deadline. A slot is interrupted only while its handler runs: the interrupt never reaches a pool
 * thread that has moved on to other work, and a thread leaves the handler with its flag cleared. Internal.
 */
final class HandlerThreads {
    private final Set<Slot> running = ConcurrentHashMap.newKeySet();

    /** One handler run on one thread. */
    static final class Slot {
        private Thread thread;
        private boolean interrupted;

        private Slot(Thread thread) {
            this.thread = thread;
        }

        synchronized boolean interrupt() {
            if (thread == null) {
                return false;
            }
            interrupted = true;
            thread.interrupt();
            return true;
        }

        synchronized void leave() {
            thread = null;
            if (interrupted) {
                Thread.interrupted(); // the interrupt was for the handler, not for the thread's next task
            }
        }
    }

    /** Called by the handler's thread just before the handler runs. */
    Slot enter() {
        Slot s = new Slot(Thread.currentThread());
        running.add(s);
        return s;
    }

    /** Called by the same thread when the handler has returned or thrown. */
    void leave(Slot s) {
        running.remove(s);
        s.leave();
    }

    /** Interrupts every handler still running; returns how many. */
    int interruptAll() {
        int n = 0;
        for (Slot s : running) {
            if (s.interrupt()) {
                n++;
            }
        }
        return n;
    }
}
