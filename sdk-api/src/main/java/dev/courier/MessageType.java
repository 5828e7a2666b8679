package dev.courier;

/** A registered message type: its wire name, Java class and kind. Internal. */
record MessageType(String name, Class<?> javaType, Kind kind) {
    /** Event or command. */
    public enum Kind { EVENT, COMMAND }
}
