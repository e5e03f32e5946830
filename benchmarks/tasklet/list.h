// The two list shapes the tasklet variants use, intrusive like the kernel's:
// no allocation when a tasklet is queued.
#pragma once

namespace lockbench::tasklet {

// Linux's list_head: circular and doubly linked, so a tasklet can be
// unlinked from whatever list it is on (Xen's schedule_on moves a pending
// tasklet to another CPU's list). An unlinked node points at itself.
struct ListHead {
  ListHead* prev = this;
  ListHead* next = this;

  ListHead() = default;
  ListHead(const ListHead&) = delete;
  ListHead& operator=(const ListHead&) = delete;

  bool empty() const { return next == this; }
  void add_tail(ListHead& node) {
    node.prev = prev;
    node.next = this;
    prev->next = &node;
    prev = &node;
  }
  // list_del_init: unlink this node and leave it pointing at itself.
  void del_init() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
};

// A ListHead inside an element, knowing the element (container_of without
// offsetof, which derived types do not allow).
template <typename T>
struct ListLink : ListHead {
  explicit ListLink(T* owner_) : owner(owner_) {}
  T* const owner;
  // The element of a node known to be a ListLink<T> (any node of a list of
  // T other than the list's own head).
  static T* of(ListHead* node) { return static_cast<ListLink*>(node)->owner; }
};

// A FIFO of T threaded through T::next, for lists one owner (or one lock)
// guards.
template <typename T>
class Queue {
 public:
  bool empty() const { return head_ == nullptr; }
  void push_back(T* item) {
    item->next = nullptr;
    if (tail_) {
      tail_->next = item;
    } else {
      head_ = item;
    }
    tail_ = item;
  }
  T* pop_front() {
    T* item = head_;
    if (item) {
      head_ = item->next;
      if (!head_) tail_ = nullptr;
      item->next = nullptr;
    }
    return item;
  }
  // Moves every item of other to the back of this queue.
  void splice(Queue& other) {
    if (other.empty()) return;
    if (tail_) {
      tail_->next = other.head_;
    } else {
      head_ = other.head_;
    }
    tail_ = other.tail_;
    other.head_ = other.tail_ = nullptr;
  }
  bool contains(const T* item) const {
    for (const T* i = head_; i; i = i->next) {
      if (i == item) return true;
    }
    return false;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

}  // namespace lockbench::tasklet
