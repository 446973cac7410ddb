package io.nsqpush.nsq;

/** Sends the answer for a message on the connection that delivered it. */
interface MessageResponder {

    void finish(NsqMessage message);

    void requeue(NsqMessage message, long delayMillis);

    void touch(NsqMessage message);
}
