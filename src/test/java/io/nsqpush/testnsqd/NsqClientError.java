package io.nsqpush.testnsqd;

/**
 * nsqd's ClientErr / FatalClientErr: the error frame's text is "CODE description"; a fatal one closes the connection
 * after the frame is sent.
 */
final class NsqClientError extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean fatal;

    private NsqClientError(String code, String description, boolean fatal) {
        super(code + " " + description, null, false, false);
        this.fatal = fatal;
    }

    static NsqClientError fatal(String code, String description) {
        return new NsqClientError(code, description, true);
    }

    static NsqClientError nonFatal(String code, String description) {
        return new NsqClientError(code, description, false);
    }

    boolean isFatal() {
        return fatal;
    }

    /** What goes into the error frame. */
    String frameText() {
        return getMessage();
    }
}
